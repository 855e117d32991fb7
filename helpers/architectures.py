"""The autoencoder architecture registry.

An architecture is a recipe: the encoder's layer widths (the last one is the
latent size), the decoder's hidden widths (the output layer is added to match
the input), the activations and the loss. Adding a model means one new entry
in ``REGISTRY``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from . import reproducibility
from .checks import check_choice


@dataclass(frozen=True)
class Architecture:
    name: str
    description: str
    encoder_units: tuple[int, ...]
    decoder_units: tuple[int, ...]
    activation: str = "relu"
    latent_activation: str | None = None  # None: same as ``activation``
    output_activation: str = "linear"
    loss: str = "mse"
    dropout: float = 0.0
    noise: float = 0.0  # std of Gaussian noise added to inputs while training (denoising)
    # "dense", "conv" for square single-channel images, "lstm" for windows, "vae" (a variational
    # encoder) or "memae" (a dense encoder whose code passes through a memory), see latent_layers.py
    layers: str = "dense"
    memory: int = 0  # "memae": the number of memory slots
    shrink: float | None = None  # "memae": the hard-shrinkage threshold (None: 1 / memory)
    max_epochs: int | None = None  # cap for slow models on a laptop CPU
    family: str = "tabular"  # the kind of data it is built for: "tabular", "image" or "series"
    # True: the widths are shares of the number of input features (a table of any width),
    # turned into whole widths by ``sized``
    relative: bool = False

    @property
    def latent_dim(self) -> int:
        return self.encoder_units[-1]

    def sized(self, input_dim: int) -> "Architecture":
        """The architecture with whole layer widths for ``input_dim`` input features: itself,
        unless its widths are shares of the input (``relative``). Each share becomes at least
        2 units and the bottleneck stays narrower than the input, so it must summarise."""
        if not self.relative:
            return self
        if input_dim < 3:
            raise ValueError(f"{self.name} needs at least 3 input features (its bottleneck of at "
                             f"least 2 is narrower than its input); got {input_dim}")

        def width(share: float) -> int:
            return max(2, int(share * input_dim + 0.5))

        *hidden, latent = (width(u) for u in self.encoder_units)
        latent = min(latent, input_dim - 1)
        return replace(self, encoder_units=(*hidden, latent),
                       decoder_units=tuple(width(u) for u in self.decoder_units), relative=False)


REGISTRY: dict[str, Architecture] = {
    "seed_simple": Architecture(
        "seed_simple",
        "Seed 001's simple autoencoder: one Dense(32, relu) encoding layer and one "
        "decoding layer. The latent size equals the input size, so nothing forces it "
        "to learn a summary of normal data.",
        encoder_units=(32,), decoder_units=(),
    ),
    "seed_deep": Architecture(
        "seed_deep",
        "Seed 001's deep autoencoder, 32-16-8-4-8-16-32 with ReLU. A 4-unit "
        "bottleneck squeezes 32 independent features through very few numbers.",
        encoder_units=(16, 8, 4), decoder_units=(8, 16),
    ),
    "kit_dense": Architecture(
        "kit_dense",
        "The kit's autoencoder, 32-64-26-64-32: a wide hidden layer, a linear "
        "bottleneck of 26 (smaller than the 32 inputs, so it must summarise, large "
        "enough to keep what normal rows share), linear output on standardised data.",
        encoder_units=(64, 26), decoder_units=(64,), latent_activation="linear",
    ),
    # Labelled tables of any width (seed 004): widths are shares of the input features.
    "tab_dense": Architecture(
        "tab_dense",
        "Seed 004's simple dense autoencoder, sized to the table: a hidden layer of half the "
        "features, a linear bottleneck of a quarter (at least 2, always narrower than the "
        "input), mirrored, linear output on standardised data.",
        encoder_units=(0.5, 0.25), decoder_units=(0.5,), latent_activation="linear",
        relative=True),
    "tab_vae": Architecture(
        "tab_vae",
        "A variational autoencoder (seed 004's list), sized like tab_dense: the encoder gives a "
        "mean and a log-variance per latent dimension, training samples the code from them and "
        "minimises the negative ELBO (reconstruction error plus a KL term that keeps codes near "
        "N(0, 1)); scores use the mean code.",
        encoder_units=(0.5, 0.25), decoder_units=(0.5,), layers="vae", relative=True),
    "tab_memae": Architecture(
        "tab_memae",
        "MemAE (Gong et al. 2019, seed 004's choice), sized like tab_dense: the code is rebuilt "
        "from 50 learned memory slots (cosine addressing, hard shrinkage at 1/50, entropy loss "
        "0.0002), so an anomaly is reconstructed from normal patterns.",
        encoder_units=(0.5, 0.25), decoder_units=(0.5,), layers="memae", memory=50,
        relative=True),
    # Seed 003's six MNIST variants (784 pixels in [0, 1], so a sigmoid output fits):
    # "6 layers" = three encoding and three decoding layers, "4 layers" = two and two.
    **{f"mnist_{depth}l{latent}_{act}": Architecture(
        f"mnist_{depth}l{latent}_{act}",
        f"Seed 003's {depth}-layer variant with latent size {latent}, {act} hidden layers, "
        "sigmoid output, MSE.",
        encoder_units=(256, 128, latent) if depth == 6 else (256, latent),
        decoder_units=(128, 256) if depth == 6 else (256,),
        activation=act, output_activation="sigmoid", family="image", max_epochs=12)
       for depth, latent in ((6, 32), (4, 64), (4, 128)) for act in ("relu", "tanh")},
    "mnist_conv": Architecture(
        "mnist_conv",
        "A convolutional autoencoder: two strided 3x3 convolutions (28x28 -> 14x14 -> 7x7) "
        "and a dense latent of 32, mirrored by transposed convolutions. Convolutions share "
        "their weights across the image, so strokes are learned once, wherever they are.",
        encoder_units=(32, 16, 32), decoder_units=(16, 32), layers="conv",
        output_activation="sigmoid", family="image", max_epochs=15),
    "mnist_kit": Architecture(
        "mnist_kit",
        "The kit's MNIST autoencoder, 784-512-128-16: a narrow bottleneck of 16, trained as a "
        "denoising autoencoder (Gaussian noise of 0.2 on the inputs while training), which "
        "keeps it from reproducing strokes it has not learned as typical.",
        encoder_units=(512, 128, 16), decoder_units=(128, 512), noise=0.2,
        output_activation="sigmoid", family="image"),
    # Seed 000's four variants, on windows of a time series (standardised, so the
    # output is linear where the seed had a ReLU).
    "ts_dense": Architecture(
        "ts_dense",
        "Seed 000's model 1 on windows: dense 64-32-16 with ReLU, mirrored, linear output.",
        encoder_units=(64, 32, 16), decoder_units=(32, 64), family="series"),
    "ts_lstm": Architecture(
        "ts_lstm",
        "Seed 000's model 2: an LSTM encoder reads the window step by step into 64 numbers; "
        "an LSTM decoder unrolls them back into the window.",
        encoder_units=(64,), decoder_units=(64,), activation="tanh", layers="lstm",
        family="series", max_epochs=6),
    "ts_deep_tanh": Architecture(
        "ts_deep_tanh",
        "Seed 000's model 3 on windows: dense 128-64-32-16 with tanh, mirrored, linear output.",
        encoder_units=(128, 64, 32, 16), decoder_units=(32, 64, 128), activation="tanh",
        family="series"),
    "ts_leaky_dropout": Architecture(
        "ts_leaky_dropout",
        "Seed 000's model 4 on windows: 128-64-32-16 with LeakyReLU and dropout 0.2 between "
        "layers, mirrored, linear output.",
        encoder_units=(128, 64, 32, 16), decoder_units=(32, 64, 128), activation="leaky_relu",
        dropout=0.2, family="series"),
    "ts_kit": Architecture(
        "ts_kit",
        "The kit's windowed autoencoder: window-64-8-64-window with tanh and a sigmoid output. "
        "With the default min-max scaling, the series lie in [0, 1] on their normal training "
        "points, so the sigmoid cannot reproduce a level never seen in training: the score "
        "keeps the level, not just the shape of the window.",
        encoder_units=(64, 8), decoder_units=(64,), activation="tanh",
        output_activation="sigmoid", family="series"),
    # Seed 002's pointwise model: one value in, one value out.
    "pointwise": Architecture(
        "pointwise",
        "Seed 002's model, Input(1) -> Dense(10, relu) -> Dense(1): it sees one value at a "
        "time, so it can only learn which values are usual. Linear output here.",
        encoder_units=(10,), decoder_units=(), family="point"),
    "pointwise_relu_output": Architecture(
        "pointwise_relu_output",
        "Seed 002's model exactly as written, with a ReLU on its one output unit. Used only "
        "to show that pitfall.",
        encoder_units=(10,), decoder_units=(), output_activation="relu", family="point"),
    "seed_deep_sigmoid": Architecture(
        "seed_deep_sigmoid",
        "Seed 001's deep autoencoder exactly as written: sigmoid output and MAE loss. "
        "A sigmoid can only output values in (0, 1); the unscaled data spans about "
        "-10 to 10. Used only to show that pitfall.",
        encoder_units=(16, 8, 4), decoder_units=(8, 16), output_activation="sigmoid",
        loss="mae",
    ),
}

# Architectures that only exist to demonstrate a mistake; never a default.
PITFALL_ONLY = {"seed_deep_sigmoid", "pointwise_relu_output"}


def names(family: str | None = None) -> list[str]:
    """Architecture names, optionally only those built for one kind of data; the
    pitfall-only ones are never offered."""
    return [n for n, a in REGISTRY.items()
            if n not in PITFALL_ONLY and (family is None or a.family == family)]


def get(name: str) -> Architecture:
    check_choice("model", name, list(REGISTRY))
    return REGISTRY[name]


def _side(input_dim: int) -> int:
    side = int(round(input_dim ** 0.5))
    if side * side != input_dim or side % 4:
        raise ValueError(f"a convolutional autoencoder needs square images with a side divisible "
                         f"by 4; got {input_dim} inputs")
    return side


def _conv_encoder(arch: Architecture, input_dim: int):
    """Flat pixels -> image -> strided convolutions -> dense latent."""
    keras = reproducibility.keras()
    side = _side(input_dim)
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = keras.layers.Reshape((side, side, 1), name="to_image")(inputs)
    *filters, latent = arch.encoder_units
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation=arch.activation,
                                name=f"conv_{i + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(latent, activation=arch.latent_activation or arch.activation,
                           name="latent")(x)
    return keras.Model(inputs, x, name=f"{arch.name}_encoder")


def _conv_decoder(arch: Architecture, output_dim: int):
    """Dense latent -> small feature map -> transposed convolutions -> flat pixels
    (``conv_layers``: Keras's own on TensorFlow, a faster form on JAX)."""
    from . import conv_layers  # noqa: PLC0415

    keras = reproducibility.keras()
    side = _side(output_dim)
    small = side // 2 ** len(arch.decoder_units)
    inputs = keras.Input(shape=(arch.latent_dim,), name="latent_input")
    x = keras.layers.Dense(small * small * arch.decoder_units[0], activation=arch.activation,
                           name="dec_dense")(inputs)
    x = keras.layers.Reshape((small, small, arch.decoder_units[0]), name="to_maps")(x)
    for i, f in enumerate(arch.decoder_units):
        x = conv_layers.Conv2DTranspose(f, 3, strides=2, padding="same",
                                        activation=arch.activation, name=f"deconv_{i + 1}")(x)
    x = keras.layers.Conv2D(1, 3, padding="same", activation=arch.output_activation,
                            name="pixels")(x)
    outputs = keras.layers.Flatten(name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=f"{arch.name}_decoder")


def _lstm_encoder(arch: Architecture, input_dim: int):
    """A window of values -> a sequence of one feature -> LSTM -> its final state."""
    keras = reproducibility.keras()
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = keras.layers.Reshape((input_dim, 1), name="to_sequence")(inputs)
    x = keras.layers.LSTM(arch.latent_dim, name="latent")(x)
    return keras.Model(inputs, x, name=f"{arch.name}_encoder")


def _lstm_decoder(arch: Architecture, output_dim: int):
    """The latent vector, repeated at every step -> LSTM -> one value per step."""
    keras = reproducibility.keras()
    inputs = keras.Input(shape=(arch.latent_dim,), name="latent_input")
    x = keras.layers.RepeatVector(output_dim, name="repeat")(inputs)
    x = keras.layers.LSTM(arch.decoder_units[0], return_sequences=True, name="dec_lstm")(x)
    x = keras.layers.TimeDistributed(keras.layers.Dense(1, activation=arch.output_activation),
                                     name="values")(x)
    outputs = keras.layers.Flatten(name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=f"{arch.name}_decoder")


def _latent_encoder(arch: Architecture, input_dim: int):
    """A VAE's or MemAE's encoder (``latent_layers``); seeded by the run's global seed."""
    from . import latent_layers  # noqa: PLC0415

    *hidden, latent = arch.encoder_units
    name = f"{arch.name}_encoder"
    if arch.layers == "vae":
        # Keras's MSE is the mean over the input's values; a KL weight of 2 / input_dim makes
        # the training loss proportional to the negative ELBO (sum of squared errors / 2 + KL)
        return latent_layers.vae_encoder(input_dim, tuple(hidden), latent, arch.activation,
                                         name=name, kl_weight=2.0 / input_dim, seed=None)
    return latent_layers.memae_encoder(input_dim, tuple(hidden), latent, arch.activation, name=name,
                                       slots=arch.memory, shrink=arch.shrink, seed=None)


def build_encoder(arch: Architecture, input_dim: int):
    """Input -> latent representation. A table's model whose bottleneck would be wider than
    the table is refused: it could copy its input instead of summarising it."""
    arch = arch.sized(input_dim)
    if arch.family == "tabular" and arch.latent_dim > input_dim:
        raise ValueError(f"{arch.name}'s bottleneck of {arch.latent_dim} is wider than the "
                         f"{input_dim} input features of this table; choose a model sized to the "
                         f"table: {', '.join(n for n in names('tabular') if REGISTRY[n].relative)}")
    if arch.layers == "conv":
        return _conv_encoder(arch, input_dim)
    if arch.layers == "lstm":
        return _lstm_encoder(arch, input_dim)
    if arch.layers in ("vae", "memae"):
        return _latent_encoder(arch, input_dim)
    keras = reproducibility.keras()
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = keras.layers.GaussianNoise(arch.noise, name="noise")(inputs) if arch.noise else inputs
    for i, units in enumerate(arch.encoder_units):
        last = i == len(arch.encoder_units) - 1
        act = (arch.latent_activation or arch.activation) if last else arch.activation
        x = keras.layers.Dense(units, activation=act, name="latent" if last else f"enc_{i + 1}")(x)
        if arch.dropout and not last:
            x = keras.layers.Dropout(arch.dropout)(x)
    return keras.Model(inputs, x, name=f"{arch.name}_encoder")


def build_decoder(arch: Architecture, output_dim: int):
    """Latent representation -> reconstruction of the input."""
    arch = arch.sized(output_dim)
    if arch.layers == "conv":
        return _conv_decoder(arch, output_dim)
    if arch.layers == "lstm":
        return _lstm_decoder(arch, output_dim)
    keras = reproducibility.keras()
    inputs = keras.Input(shape=(arch.latent_dim,), name="latent_input")
    x = inputs
    for i, units in enumerate(arch.decoder_units):
        x = keras.layers.Dense(units, activation=arch.activation, name=f"dec_{i + 1}")(x)
        if arch.dropout:
            x = keras.layers.Dropout(arch.dropout)(x)
    outputs = keras.layers.Dense(output_dim, activation=arch.output_activation,
                                 name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=f"{arch.name}_decoder")


def assemble(encoder, decoder, name: str):
    """Encoder and decoder chained into one model that maps an input to its
    reconstruction."""
    keras = reproducibility.keras()
    inputs = keras.Input(shape=encoder.input_shape[1:], name="input")
    return keras.Model(inputs, decoder(encoder(inputs)), name=name)


def build_autoencoder(arch: Architecture, input_dim: int):
    return assemble(build_encoder(arch, input_dim), build_decoder(arch, input_dim), arch.name)


def summary_table(model):
    """A model's layers as a table (Keras's ``summary()`` without the terminal
    colour codes), with a total row."""
    import pandas as pd  # noqa: PLC0415

    rows = [{"layer": layer.name, "type": layer.__class__.__name__,
             "output shape": str(tuple(layer.output.shape[1:])), "parameters": layer.count_params()}
            for layer in model.layers if layer.__class__.__name__ != "InputLayer"]
    rows.append({"layer": "total", "type": "", "output shape": "",
                 "parameters": model.count_params()})
    return pd.DataFrame(rows).set_index("layer")
