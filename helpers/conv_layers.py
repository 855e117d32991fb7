"""The kit's transposed convolution: Keras's ``Conv2DTranspose``, fast on both backends.

On TensorFlow it *is* Keras's layer: ``call`` is the stock one, so TensorFlow's figures
(the kit's reference figures) do not change by one bit.

On JAX the stock layer runs XLA's CPU convolution with a dilated input, which is slow:
for mnist_conv's 14x14x16 -> 28x28x32 layer the forward pass took 11 ms and the weight
gradient 64 ms per batch of 128, and a training epoch took 4 times TensorFlow's. There
the layer computes the same function in the "sub-pixel" form, with one matrix product
and cheap reshapes, pads and slices, which XLA's CPU code runs well (JAX differentiates
them as any other ops): each of the s*s output pixels of an s x s block is a sum over
the few input pixels near it, so the input is stacked with its shifted copies (2 x 2 of
them for k=3, s=2), multiplied once by a matrix built from the kernel (zero where a tap
does not reach a pixel of the block), and the s*s results per input pixel are laid out
as the s x s block (depth to space). An epoch of mnist_conv then took 2.1 s instead of
3.8 (2-core AMD EPYC, the kit's AVX2 level; TensorFlow: about 0.9 s). (The same
treatment of the plain convolutions made an epoch slower; they stay Keras's own
``Conv2D``.)

It gives the stock layer's output to float32 rounding (the sums are taken in another
order), with the same 'same' padding as Keras's. Weights, shapes, initialisation and the
saved configuration are the stock layer's: a model built with it has the same weights
for the same seed. What the fast path does not cover (padding other than 'same',
dilation, channels_first, ``output_padding``, an unknown image size) runs the stock
``call``.

A saved or pickled model holds the name of this layer, not its code: a process
that loads or unpickles one must have imported this module first.
"""
from __future__ import annotations

from . import reproducibility

keras = reproducibility.keras()


# ----------------------------------------------------------------- index arithmetic

def _same_transpose_offset(kernel: int, stride: int) -> int:
    """``p`` in a 'same' transposed convolution's ``y = stride * i + tap - p`` (input
    pixel i reaches output pixel y through kernel tap ``tap``), from the padding Keras
    gives ``lax.conv_transpose`` on JAX."""
    pad = stride + kernel - 2
    left = min(pad // 2 + pad % 2, kernel - 1)
    return kernel - 1 - left


def _sub_pixel_taps(kernel: int, stride: int) -> tuple[list[int], dict]:
    """For one axis of a 'same' transposed convolution: the shifts ``d`` for which
    output pixel ``stride * m + a`` takes input pixel ``m - d``, and which kernel tap
    joins output phase ``a`` to shift ``d`` (``{(d, a): tap}``)."""
    p = _same_transpose_offset(kernel, stride)
    taps = {}
    for tap in range(kernel):
        a = (tap - p) % stride
        taps[((tap - p - a) // stride, a)] = tap
    return sorted({d for d, _ in taps}), taps


# ----------------------------------------------------------------- JAX formulations

def _shifted(x, shift, axis: int, size: int):
    """``x`` padded along ``axis`` (already by enough zeros) and cut to ``size``
    pixels starting at ``shift``."""
    from jax import lax  # noqa: PLC0415

    return lax.slice_in_dim(x, shift, shift + size, axis=axis)


def conv_transpose(x, kernel, strides):
    """'same' transposed convolution (Keras's ``ops.conv_transpose``, channels last,
    no ``output_padding``) in the sub-pixel form: ``x`` (B, H, W, Cin) stacked with its
    shifted copies, one product with a matrix built from ``kernel`` (kh, kw, Cout, Cin),
    the s*s outputs of each input pixel laid out as an s x s block: (B, sH, sW, Cout)."""
    import jax.numpy as jnp  # noqa: PLC0415

    kh, kw, cout, cin = kernel.shape
    (sh, sw), (_, h, w, _) = strides, x.shape
    rows, row_taps = _sub_pixel_taps(kh, sh)
    cols, col_taps = _sub_pixel_taps(kw, sw)
    # input pixel m - d, for each shift d: pad by the largest shifts either way, then cut
    top, bottom = max(rows[-1], 0), max(-rows[0], 0)
    left, right = max(cols[-1], 0), max(-cols[0], 0)
    xp = jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    copies = [_shifted(_shifted(xp, top - dy, 1, h), left - dx, 2, w)
              for dy in rows for dx in cols]
    stacked = copies[0] if len(copies) == 1 else jnp.concatenate(copies, axis=-1)
    # the matrix: a (Cin, Cout) block per (shift dy, dx) and output phase (a, b)
    zero = jnp.zeros((cin, cout), kernel.dtype)
    blocks = [[jnp.transpose(kernel[row_taps[dy, a], col_taps[dx, c]])
               if (dy, a) in row_taps and (dx, c) in col_taps else zero
               for a in range(sh) for c in range(sw)]
              for dy in rows for dx in cols]
    matrix = jnp.block(blocks)  # (shifts * Cin, sh * sw * Cout)
    out = jnp.dot(stacked, matrix)  # (B, H, W, sh * sw * Cout), phases in (a, b, cout) order
    out = jnp.reshape(out, (-1, h, w, sh, sw, cout))
    out = jnp.transpose(out, (0, 1, 3, 2, 4, 5))
    return jnp.reshape(out, (-1, h * sh, w * sw, cout))


# ------------------------------------------------------------------------- the layers

def _on_jax() -> bool:
    return reproducibility.backend() == "jax"


def _static_image(inputs) -> bool:
    shape = tuple(inputs.shape)
    return len(shape) == 4 and all(isinstance(n, int) for n in shape[1:])


def _finish(layer, outputs):
    """The stock layers' bias and activation, as they apply them."""
    ops = keras.ops
    if layer.use_bias:
        outputs = ops.add(outputs, ops.reshape(layer.bias, (1, 1, 1, layer.filters)))
    if layer.activation is not None:
        return layer.activation(outputs)
    return outputs


@keras.saving.register_keras_serializable(package="anomaly_kit")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """Keras's ``Conv2DTranspose``; on JAX, a 'same' transposed convolution (channels
    last, no dilation or ``output_padding``) is computed in the sub-pixel form, with
    one matrix product instead of XLA's convolution (see the module's docstring). The
    same constructor, weights and configuration."""

    def _fast(self, inputs) -> bool:
        return (_on_jax() and self.padding == "same" and self.data_format == "channels_last"
                and tuple(self.dilation_rate) == (1, 1) and self.output_padding is None
                and _static_image(inputs))

    def call(self, inputs):
        if not self._fast(inputs):
            return super().call(inputs)
        kernel = keras.ops.convert_to_tensor(self.kernel)
        inputs = keras.ops.convert_to_tensor(inputs)
        return _finish(self, conv_transpose(inputs, kernel, tuple(self.strides)))
