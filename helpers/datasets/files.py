"""Reading data files at the door: every problem with a file the kit reads is refused
with a message that starts with the file's path (as ``paths.show`` prints it), says what
is wrong, what would be valid and how to fix it. The loaders of every dataset share these
checks: what a file is from its first bytes, CSV tables, and points in time."""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths


def refuse(path, problem: str, expected: str, fix: str) -> ValueError:
    """The error for a file the loader will not use: its path, what is wrong, what would
    be valid, how to fix it."""
    return ValueError(f"{paths.show(path)}: {problem}; expected {expected}. {fix}")


def reason(err: BaseException) -> str:
    """What went wrong, without the absolute path an OSError carries."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err).strip()


def sha256(path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_shipped(path: Path, digest: str, what: str, fix: str) -> Path:
    """A data file the kit ships (or a pinned package ships), checked by its SHA-256, so
    that every run reads the same bytes."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{paths.show(path)}: {what} is missing. {fix}")
    if sha256(path) != digest:
        raise ValueError(f"{paths.show(path)}: {what} is not the file the kit was made with (its "
                         f"SHA-256 differs). {fix}")
    return Path(path)


def head(path, n: int = 512) -> bytes:
    """The first ``n`` bytes of a file (a file that cannot be read is refused by name)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as err:
        raise ValueError(f"{paths.show(path)}: cannot be read ({reason(err)})") from err


def sniff(path, what: str, magic: bytes | None = None) -> str | None:
    """What a file is instead of ``what``, from its first bytes; None when it starts like
    one. ``magic``: the bytes ``what`` starts with; None for a text file."""
    first = head(path)
    if not first.strip():
        return "the file is empty"
    if first.lstrip()[:1] == b"<":
        return f"it looks like a web page (HTML), not {what}"
    if first.startswith(b"\x93NUMPY"):
        return f"it is a single NumPy array (.npy), not {what}"
    if magic is None:
        if b"\0" in first or first[:2] == b"\x1f\x8b":
            return f"it is a binary file, not {what}"
    elif not first.startswith(magic):
        return f"not {what} (it starts with {first[:8]!r})"
    return None


def quote(value):
    """A value from a file as a message quotes it (``inf``, ``'abc'``, not ``np.float64(inf)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def read_csv(path, columns, expected: str, fix: str) -> pd.DataFrame:
    """A series file as a table, refused with a message that starts with its path when it
    is empty, a web page, binary, not parsable, without ``columns`` or without rows."""
    where = paths.show(path)

    def refuse(problem):
        return ValueError(f"{where}: {problem}; expected {expected}. {fix}")

    if problem := sniff(path, "a CSV file"):
        raise refuse(problem)
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise refuse(f"not a readable CSV file ({str(err).strip()})") from err
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise refuse(f"missing column(s) {missing} (found {list(df.columns)[:6]})")
    if df.empty:
        raise refuse("it has a header but no rows")
    return df


def time_key(times: pd.Series) -> pd.Series:
    """Timestamps as comparable values: numbers when every entry is one, else dates
    (NaN or NaT where an entry is missing or neither)."""
    numbers = pd.to_numeric(times, errors="coerce")
    if not (numbers.isna() & times.notna()).any():
        return numbers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
        return pd.to_datetime(times, errors="coerce")


def check_points(where: str, times: pd.Series, key: pd.Series, values: pd.Series,
                 groups: pd.Series | None = None, fix: str = "") -> None:
    """Every point a finite number, every timestamp there, unique and later than the one
    before (within each of ``groups``, the series). ``times`` are the timestamps as read,
    ``key`` the same as numbers or dates; each message starts with ``where`` and ends
    with ``fix``."""
    fix = f". {fix}" if fix else ""
    n = len(values)
    g = np.zeros(n, int) if groups is None else pd.factorize(groups)[0]
    pos = pd.Series(g).groupby(g).cumcount().to_numpy()

    def at(i):
        return f"row {pos[i] + 1}" + ("" if groups is None else f" of series {quote(groups.iloc[i])}")

    def first(mask):
        return int(np.flatnonzero(np.asarray(mask))[0])

    numbers = pd.to_numeric(values, errors="coerce")
    if values.isna().any():
        raise ValueError(f"{where}: {at(first(values.isna()))} has no value; every point "
                         f"needs a finite number{fix}")
    if numbers.isna().any():
        i = first(numbers.isna())
        raise ValueError(f"{where}: 'value' must be numeric; found {quote(values.iloc[i])} in {at(i)}{fix}")
    infinite = ~np.isfinite(numbers.to_numpy(float))
    if infinite.any():
        i = first(infinite)
        raise ValueError(f"{where}: value {quote(values.iloc[i])} in {at(i)} is not finite; "
                         f"every point needs a finite number{fix}")
    if key.isna().any():
        i = first(key.isna())
        what = "has no timestamp" if pd.isna(times.iloc[i]) else \
            f"has timestamp {quote(times.iloc[i])}, which is neither a number nor a date"
        raise ValueError(f"{where}: {at(i)} {what}{fix}")
    frame = pd.DataFrame({"g": g, "k": key.to_numpy()})
    repeated = frame.duplicated()
    if repeated.any():
        i = first(repeated)
        j = first((frame["g"] == g[i]) & (frame["k"] == frame["k"].iloc[i]))
        raise ValueError(f"{where}: timestamp {quote(times.iloc[i])} appears twice ({at(j)} and "
                         f"{at(i)}); each point needs its own time{fix}")
    before = frame.assign(i=np.arange(n)).groupby("g", sort=False).shift()  # each point's predecessor
    earlier = (frame["k"] < before["k"]).to_numpy()
    if earlier.any():
        i = first(earlier)
        j = int(before["i"].iloc[i])
        raise ValueError(f"{where}: timestamp {quote(times.iloc[i])} in {at(i)} comes before "
                         f"{quote(times.iloc[j])} in {at(j)}; the rows must be in time order "
                         f"(sort them by time){fix}")
