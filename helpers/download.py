"""``make data``: fetch the optional larger datasets into ``data/``.

The default run never needs this: every dataset's default data is generated or
ships inside a pinned package. A dataset that can use larger real data lists its
files in its module's ``DOWNLOADS`` (url, file name, sha256); this command fetches
them into ``data/<dataset>/``, verifies each checksum, and says clearly when the
machine is offline (with the dataset's ``OFFLINE_NOTE``: what a run does without the
files). A file already there whose checksum does not match is reported, never kept
silently: replaced when the download works, named with the way out when it does not.
"""
from __future__ import annotations

import hashlib
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from . import datasets, paths
from .datasets.files import sha256


class ChecksumError(RuntimeError):
    pass


def matches(path: Path, digest: str) -> bool:
    """Whether ``path`` has the expected checksum: a plain hex digest is the SHA-256 of
    the file's bytes; ``json:<key>=<hex>`` is the SHA-256 of one entry of a JSON file,
    written canonically (for label files that cover more than the kit uses)."""
    if not digest.startswith("json:"):
        return sha256(path) == digest
    key, _, expected = digest[len("json:"):].rpartition("=")
    try:
        entry = json.loads(Path(path).read_text()).get(key)
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return False
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    return entry is not None and hashlib.sha256(canonical).hexdigest() == expected


def fetch(url: str, target: Path, expected_sha256: str, timeout: float = 30) -> Path:
    """Download ``url`` to ``target`` unless a verified copy is already there."""
    if target.exists() and matches(target, expected_sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
            while chunk := resp.read(1 << 20):
                out.write(chunk)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        tmp.unlink(missing_ok=True)
        raise ConnectionError(f"could not download {url} ({getattr(err, 'reason', err)}); this "
                              "machine seems to be offline") from err
    except OSError as err:  # writing here failed: no network problem
        tmp.unlink(missing_ok=True)
        raise OSError(f"could not write {paths.show(tmp)} ({err.strerror or err}); check that "
                      f"{paths.show(target.parent)}/ is writable and the disk has room") from err
    if not matches(tmp, expected_sha256):
        got = sha256(tmp)
        tmp.unlink(missing_ok=True)
        raise ChecksumError(f"{paths.show(target)}: the download's checksum (sha256 {got}) does not "
                            f"match the expected {expected_sha256}; it was not kept")
    tmp.replace(target)
    return target


def mismatch(path: Path, digest: str) -> str:
    """How a file's checksum differs from ``digest``, in words."""
    if digest.startswith("json:"):
        key = digest[len("json:"):].rpartition("=")[0]
        return f"its entry for {key} is missing or differs from the one the kit expects"
    return f"sha256 {sha256(path)}, expected {digest}"


def main() -> int:
    failed = False
    for name in datasets.names():
        module = datasets.spec(name).module
        downloads = getattr(module, "DOWNLOADS", ())
        if not downloads:
            note = getattr(module, "DOWNLOAD_NOTE", "its data is generated or ships with a package")
            print(f"{name}: nothing to download ({note})")
            continue
        offline = False
        for url, filename, digest in downloads:
            target = paths.data_dir() / name / filename
            # a copy already there that is not the expected file: say so, whatever happens next
            wrong = mismatch(target, digest) if target.exists() and not matches(target, digest) else None
            try:
                fetch(url, target, digest)
                print(f"{name}: {paths.show(target)} ok (sha256 verified)"
                      + (f"; the copy that was there was not the expected file ({wrong}) and "
                         "was replaced" if wrong else ""))
                continue
            except ConnectionError as err:
                print(f"{name}: {err}", file=sys.stderr)
                offline = True
            except (ChecksumError, OSError) as err:  # a bad download, or a folder we cannot write
                print(f"{name}: {err}", file=sys.stderr)
            failed = True
            if wrong:
                print(f"{name}: {paths.show(target)} is already there but is not the expected file "
                      f"({wrong}); delete it, then run `make data` online", file=sys.stderr)
        if offline:
            print(f"{name}: " + getattr(module, "OFFLINE_NOTE", "a dataset that needs these files is "
                                        "skipped by make run-all until they are there."),
                  file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
