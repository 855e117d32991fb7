"""A folder packed into bytes and unpacked on another machine: how a job that ran on a
cluster worker brings its run folder home, through the Dask client."""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path, PurePosixPath


def pack(folder: Path | dict[str, Path]) -> bytes:
    """Every plain file under ``folder`` (links left out), in one zip, by relative path;
    or, for a dict, every file of each folder under the folder's key."""
    folders = folder if isinstance(folder, dict) else {"": folder}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for prefix, top in folders.items():
            top = Path(top)
            for path in sorted(top.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    zf.write(path, (PurePosixPath(prefix) / path.relative_to(top).as_posix()).as_posix())
    return buffer.getvalue()


def unpack(data: bytes, target: Path) -> int:
    """Replace ``target`` by the folder packed in ``data``; the number of files. A member
    whose name would land outside ``target`` (absolute, or with ``..``) is refused
    before anything is written."""
    target = Path(target)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        bad = [n for n in names if PurePosixPath(n).is_absolute() or ".." in PurePosixPath(n).parts]
        if bad:
            raise ValueError(f"a packed folder names files outside itself: {bad[:3]}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        zf.extractall(target)
    return len(names)
