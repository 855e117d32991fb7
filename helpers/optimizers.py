"""RMSprop whose step divides exactly on TensorFlow, so that it is the same on every CPU.

Keras's RMSprop divides each step by ``sqrt(velocity + epsilon)``. In a TensorFlow graph,
TensorFlow's graph optimizer rewrites ``x / sqrt(y)`` as ``x * rsqrt(y)``, and TensorFlow
computes ``rsqrt`` from the CPU's approximate reciprocal square root (``rsqrtps``) and one
Newton step. That approximation is a property of the CPU design: Intel's and AMD's give
other bits, so a DevNet trained with Keras's RMSprop can end with other weights on an
Intel CPU than on an AMD one, at the same instruction-set level and with the same seed.

This RMSprop takes Keras's steps, but divides with ``divide_no_nan``, which the graph
optimizer leaves as it is, and which is a true division here: its divisor is a square root
of at least ``epsilon`` and never 0. (Only a centered RMSprop's divisor can be 0, where
Keras's would step by inf or NaN and this one by 0.) On JAX it is Keras's RMSprop,
unchanged; whether XLA makes the same rewrite there is not checked.
"""
from __future__ import annotations

from . import reproducibility

keras = reproducibility.keras()


@keras.saving.register_keras_serializable(package="anomaly_kit")
class RMSprop(keras.optimizers.RMSprop):
    """Keras's ``RMSprop`` (the same arguments and configuration) whose step is an exact
    division on TensorFlow (see the module's docstring)."""

    def update_step(self, gradient, variable, learning_rate):
        if reproducibility.backend() != "tensorflow":
            return super().update_step(gradient, variable, learning_rate)
        ops = keras.ops
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        rho = self.rho
        self.assign(velocity, ops.add(ops.multiply(rho, velocity),
                                      ops.multiply(1 - rho, ops.square(gradient))))
        if self.centered:
            average_grad = self._average_gradients[index]
            self.assign(average_grad, ops.add(ops.multiply(rho, average_grad),
                                              ops.multiply(1 - rho, gradient)))
            denominator = velocity - ops.square(average_grad) + self.epsilon
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide_no_nan(ops.multiply(lr, gradient), ops.sqrt(denominator))
        if self.momentum > 0:
            momentum = self._momentums[index]
            self.assign(momentum, ops.add(ops.multiply(self.momentum, momentum), increment))
            self.assign_sub(variable, momentum)
        else:
            self.assign_sub(variable, increment)
