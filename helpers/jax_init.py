"""On JAX, new variables get their first values from a few compiled programs, not from
one per shape, and get the same values.

Every layer's weights start as a random draw (Glorot's uniform for a kernel, a normal
draw for an orthogonal one) and its biases, like an optimizer's slots, as zeros; JAX
compiles its random generator, and the zeros, for each shape it is asked for, about
0.25 s per shape for a draw, once per process. One dataset's eight
notebooks compiled 107 draws (about 30 s) and 135 zero or one fills (about 5 s) with the
compilation cache off (a 2-core Intel Xeon).

Draws: JAX's generator gives element ``i`` of a draw from the key and ``i`` alone
(counter-based, ``jax_threefry_partitionable``, on by default), so a draw of a shape is
the first ``prod(shape)`` numbers of a longer flat draw with the same key, laid out in that
shape. Here a draw outside a compiled step takes the flat draw of the next power of two
(at least 1,024) and cuts it with NumPy, which compiles nothing: a handful of programs
serve every model (22 instead of 107 in those notebooks). Zeros and ones are NumPy's,
handed to JAX as they are. Tests check, for shapes from empty to 4-D and for whole models,
that the values are Keras's own to the last bit. Draws inside a compiled step (dropout, a
VAE's sampling), of another dtype than float32, with another generator or above ``LARGEST``
numbers are Keras's own.
"""
from __future__ import annotations

import math

import numpy as np

SMALLEST = 1024  # the smallest flat draw: every bias-sized draw shares one program
LARGEST = 1 << 22  # a larger draw (none of the kit's models has one) is Keras's own


def size_class(n: int) -> int:
    """The length of the flat draw that serves ``n`` numbers: the next power of two."""
    return max(SMALLEST, 1 << max(n - 1, 0).bit_length())


def _concrete(shape) -> tuple[int, ...] | None:
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:  # a dimension that is not a number yet
        return None
    return dims if all(d >= 0 for d in dims) else None


def install() -> None:
    """Replace Keras's JAX ``uniform``, ``normal`` and ``truncated_normal`` with versions
    that draw in size classes, and its ``Zeros`` and ``Ones`` initializers with NumPy's
    (see the module's docstring); once per process."""
    import jax  # noqa: PLC0415
    from keras.src import initializers  # noqa: PLC0415
    from keras.src.backend import standardize_dtype  # noqa: PLC0415
    from keras.src.backend.config import floatx  # noqa: PLC0415
    from keras.src.backend.jax import random as keras_random  # noqa: PLC0415

    if getattr(keras_random.uniform, "size_classes", False):
        return
    stock = {name: getattr(keras_random, name) for name in ("uniform", "normal", "truncated_normal")}
    # a draw is a prefix of a longer one only with JAX's counter-based threefry generator
    counter_based = (bool(jax.config.jax_threefry_partitionable)
                     and str(jax.config.jax_default_prng_impl) == "threefry2x32")

    def flat_draw(draw, shape, key, dtype, *bounds):
        """The first ``prod(shape)`` numbers of ``draw(key, (size class,))``, as a float32
        NumPy array of that shape; None where that would not be Keras's own draw: inside a
        compiled step, for a shape not known yet or too large, another dtype or generator,
        or bounds that are arrays."""
        dims = _concrete(shape)
        if (not counter_based or dims is None or isinstance(key, jax.core.Tracer)
                or jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
                or standardize_dtype(dtype or floatx()) != "float32"
                or math.prod(dims) > LARGEST or any(np.ndim(b) for b in bounds)):
            return None
        n = math.prod(dims)
        return np.asarray(draw(key, (size_class(n),), "float32"))[:n].reshape(dims)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        key = keras_random.jax_draw_seed(seed)
        out = flat_draw(lambda k, n, t: jax.random.uniform(k, n, t, minval, maxval), shape, key, dtype,
                        minval, maxval)
        return stock["uniform"](shape, minval, maxval, dtype, key) if out is None else jax.device_put(out)

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        key = keras_random.jax_draw_seed(seed)
        out = flat_draw(jax.random.normal, shape, key, dtype, mean, stddev)
        return (stock["normal"](shape, mean, stddev, dtype, key) if out is None
                else jax.device_put(out * np.float32(stddev) + np.float32(mean)))  # as Keras, in float32

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        key = keras_random.jax_draw_seed(seed)
        out = flat_draw(lambda k, n, t: jax.random.truncated_normal(k, -2.0, 2.0, n, t),
                        shape, key, dtype, mean, stddev)
        return (stock["truncated_normal"](shape, mean, stddev, dtype, key) if out is None
                else jax.device_put(out * np.float32(stddev) + np.float32(mean)))

    for function in (uniform, normal, truncated_normal):
        function.size_classes = True
        function.stock = stock[function.__name__]
        setattr(keras_random, function.__name__, function)
    for cls, fill in ((initializers.Zeros, np.zeros), (initializers.Ones, np.ones)):
        cls.__call__ = _filled(cls.__call__, fill)


def _filled(stock_call, fill):
    """An initializer's ``__call__`` that returns NumPy's ``fill(shape, dtype)`` on the
    device (no compiled program), or the stock value where NumPy has no such dtype."""
    import functools  # noqa: PLC0415

    import jax  # noqa: PLC0415
    from keras.src.backend import standardize_dtype  # noqa: PLC0415

    @functools.wraps(stock_call)
    def call(self, shape, dtype=None):
        dims = _concrete(shape)
        try:
            values = None if dims is None else fill(dims, dtype=standardize_dtype(dtype))
        except TypeError:  # e.g. bfloat16, which NumPy lacks
            values = None
        return stock_call(self, shape, dtype) if values is None else jax.device_put(values)

    call.stock = stock_call
    return call
