"""The detector registry: every autoencoder architecture (``helpers.architectures``)
and every baseline (``helpers.baselines``), built by name and used through one
contract (``helpers.detector``).

    det = detectors.build("kit_dense", seed=42, epochs=60, batch_size=256)
    det.fit(split).score_samples(split, "val")

Adding a model means one entry in ``architectures.REGISTRY``; adding a baseline, one
class in ``baselines.REGISTRY``. Both become detectors here without further code.
"""
from __future__ import annotations

from . import architectures, baselines, parallel
from .autoencoder import Autoencoder
from .checks import check_choice
from .detector import Detector


def names() -> list[str]:
    """Every detector that can be built: the autoencoders, then the baselines. (The
    architectures of the "point" family are parts of baselines, not detectors.)"""
    autoencoders = [n for n in architectures.names() if architectures.get(n).family != "point"]
    return autoencoders + baselines.names()


def build(name: str, *, seed: int = 0, threads: int = 2, model=None, epochs: int = 60,
          batch_size: int = 256) -> Detector:
    """An unfitted detector from its registry entry. ``model``, ``epochs`` and
    ``batch_size`` are the training settings of an autoencoder; a baseline has its own
    and takes only the seed (and the thread count, if it trains a network)."""
    check_choice("detector", name, names())
    if name in baselines.REGISTRY:
        cls = baselines.REGISTRY[name]
        context = {"seed": seed, "threads": threads}
        return cls(**{k: v for k, v in context.items() if k in cls._param_names()})
    return Autoencoder(name, model=model, epochs=epochs, batch_size=batch_size, seed=seed,
                       threads=threads)


def _fit(detector: Detector, split) -> Detector:
    return detector.fit(split)


def fit_all(detectors: dict[str, Detector], split, jobs: int = 1) -> dict[str, Detector]:
    """``fit(split)`` for every detector, in the order given; with ``jobs`` > 1, that
    many at once in separate processes (``parallel.starmap``). Every detector seeds
    itself, so the results do not depend on ``jobs``. Returns name -> fitted detector."""
    elsewhere = jobs > 1 or parallel.cluster_address() is not None  # fitted in another process
    calls = [(det.portable() if elsewhere else det, split) for det in detectors.values()]
    done = parallel.starmap(_fit, calls, jobs)
    return dict(zip(detectors, done))


def load_trained(state, names) -> dict[str, Autoencoder]:
    """The autoencoders notebook 05 trained and saved, fitted, by name."""
    return {name: Autoencoder.load(state, name) for name in names}
