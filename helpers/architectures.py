"""The autoencoder architecture registry.

An architecture is a recipe: the encoder's layer widths (the last one is the
latent size), the decoder's hidden widths (the output layer is added to match
the input), the activations and the loss. Adding a model means one new entry
in ``REGISTRY``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .params import check_choice


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

    @property
    def latent_dim(self) -> int:
        return self.encoder_units[-1]


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
PITFALL_ONLY = {"seed_deep_sigmoid"}


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Architecture:
    check_choice("model", name, names())
    return REGISTRY[name]


def _keras():
    from . import reproducibility  # noqa: PLC0415

    reproducibility.quiet_tensorflow()
    import keras  # noqa: PLC0415

    return keras


def build_encoder(arch: Architecture, input_dim: int):
    """Input -> latent representation."""
    keras = _keras()
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = inputs
    for i, units in enumerate(arch.encoder_units):
        last = i == len(arch.encoder_units) - 1
        act = (arch.latent_activation or arch.activation) if last else arch.activation
        x = keras.layers.Dense(units, activation=act, name="latent" if last else f"enc_{i + 1}")(x)
        if arch.dropout and not last:
            x = keras.layers.Dropout(arch.dropout)(x)
    return keras.Model(inputs, x, name=f"{arch.name}_encoder")


def build_decoder(arch: Architecture, output_dim: int):
    """Latent representation -> reconstruction of the input."""
    keras = _keras()
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
    keras = _keras()
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
