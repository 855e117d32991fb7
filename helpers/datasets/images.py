"""Images: a row is a square picture, and its score is its worst patch.

An autoencoder trained on normal digits reconstructs every digit a little blurred,
so every image has some error along its strokes. An anomaly differs in one place (a
4 is a 9 with its top left open): averaged over all 784 pixels, that local error is
diluted by the blur everywhere else. The score here is the mean squared error of the
worst ``patch`` x ``patch`` square instead. ``patch`` equal to the image's side
scores the whole image, which is the plain mean error.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import uniform_filter

from ..checks import ParameterError
from .base import Split

# patch sizes notebook 06 compares on validation data
COMPARED = (5, 7, 9, 11, 13, 15)


def check_patch(patch, side: int = 28) -> int:
    if isinstance(patch, bool) or not isinstance(patch, int) or not 1 <= patch <= side:
        raise ParameterError(f"option patch={patch!r} is not valid; expected a whole number of "
                             f"pixels from 1 to {side} ({side} scores the whole image, the mean error)")
    return patch


def patch_means(errors: np.ndarray, side: int, patch: int) -> np.ndarray:
    """The mean of ``errors`` over every ``patch`` x ``patch`` square of each image
    (squares reaching past the edge count the missing pixels as 0), shaped
    (images, side, side) with each square's value at its centre."""
    maps = np.asarray(errors, dtype=float).reshape(-1, side, side)
    return uniform_filter(maps, size=(1, patch, patch), mode="constant", cval=0.0)


def worst_patch(errors: np.ndarray, side: int, patch: int) -> tuple[np.ndarray, np.ndarray]:
    """Each image's worst square: its mean error and its centre (row, column)."""
    means = patch_means(errors, side, patch).reshape(len(errors), -1)
    at = means.argmax(axis=1)
    return means[np.arange(len(means)), at], np.stack(np.unravel_index(at, (side, side)), axis=1)


@dataclass
class ImageSplit(Split):
    """A split of square single-channel images, flattened to rows."""

    family = "image"
    side: int = 28
    patch: int = 13

    def input_scores(self, errors: np.ndarray) -> np.ndarray:
        errors = np.asarray(errors, dtype=float).reshape(len(errors), -1)
        if self.patch >= self.side:
            return errors.mean(axis=1)
        return worst_patch(errors, self.side, self.patch)[0]

    def score_variants(self) -> dict[str, Split]:
        name = (lambda p: "mean error (whole image)" if p >= self.side
                else f"worst {p}x{p} patch")
        sizes = [self.patch] + [p for p in (self.side, *COMPARED) if p != self.patch]
        return {name(p): replace(self, patch=p) for p in sizes}

    def arrays(self) -> dict[str, np.ndarray]:
        return {**super().arrays(), "image_side": np.array(self.side),
                "image_patch": np.array(self.patch)}

    @classmethod
    def from_arrays(cls, arrays, info: dict | None = None) -> "ImageSplit":
        rest = {k: v for k, v in arrays.items() if not k.startswith("image_")}
        base = Split.from_arrays(rest, info)
        return cls(base.X_train, base.X_val, base.y_val, base.X_test, base.y_test,
                   base.train_anomaly_share, base.info, base.labels,
                   side=int(arrays["image_side"]), patch=int(arrays["image_patch"]))
