"""The cache sizes by which TensorFlow cuts a matrix product into blocks, fixed, so that
the same seed gives the same figures on CPUs with other caches.

TensorFlow hands a matrix product to Eigen, which cuts it into blocks sized for the CPU's
caches (read from the CPU itself, ``cpuid``) and passes each block to oneDNN. Where the
inner dimension is cut, every output is summed in parts, in another order: a CPU with
other cache sizes rounds the product differently, and training turns that into another
model. No variable sets those sizes. Eigen keeps them in one static object per library
(``manage_caching_sizes``'s ``m_cacheSizes``), which it fills from ``cpuid`` on first use;
:func:`pin` fills it first, with :data:`SIZES`, and marks it as filled, so Eigen never asks
the CPU. The object is found through the library's symbol table (TensorFlow's Linux
wheels keep one), and nothing is written unless its symbol and size are exactly as
expected.

:data:`SIZES` are what QEMU's model of an AMD EPYC Zen 2 (Rome) reports. The kit's
reference figures were made on an AMD EPYC without AVX-512 (Zen 2 or 3, its exact sizes not
recorded), whose TensorFlow cut its products by its own caches; with these sizes an Intel
Xeon reproduced them. The kit pins them in every TensorFlow
process it starts with the fixed level (``helpers.cpu_level``), when Keras loads
(``helpers.reproducibility.keras``); ``make ... EXACT=0`` leaves the CPU's own sizes.
"""
from __future__ import annotations

import ctypes
import mmap
import struct
import sys

# L1 data, L2 and L3 cache sizes in bytes, as Eigen reads them from an AMD EPYC Zen 2 (QEMU's)
SIZES = (32 * 1024, 512 * 1024, 16 * 1024 * 1024)
# TensorFlow's libraries that hold their own copy of Eigen's sizes: the first runs the ops
# (matrix products, convolutions), the second the framework's own code
LIBRARIES = ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2")
_SIZES_SYMBOL = b"_ZZN5Eigen8internal20manage_caching_sizesENS_6ActionEPlS2_S2_E12m_cacheSizes"
_GUARD_SYMBOL = b"_ZGVZN5Eigen8internal20manage_caching_sizesENS_6ActionEPlS2_S2_E12m_cacheSizes"
_QUERY_SYMBOL = b"_ZN5Eigen8internal15queryCacheSizesERiS1_S1_"
_SYMBOL_BYTES = {_SIZES_SYMBOL: 24, _GUARD_SYMBOL: 8}  # three ptrdiff_t; a guard word

# what pin() did in this process: None before it ran, else "pinned" or why not
status: str | None = None


def _loaded(library: str) -> tuple[str, int] | None:
    """The path and load address of ``library`` in this process (Linux), or None. The
    file at that path must be the one loaded (the same device and inode): after a
    reinstall the path holds another build, whose symbols would be at other addresses."""
    import os  # noqa: PLC0415

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(maxsplit=5)
                if len(parts) < 6 or not parts[5].endswith("/" + library) or int(parts[2], 16) != 0:
                    continue
                major, minor = (int(x, 16) for x in parts[3].split(":"))
                st = os.stat(parts[5])
                if (st.st_ino, os.major(st.st_dev), os.minor(st.st_dev)) != (int(parts[4]), major, minor):
                    return None
                return parts[5], int(parts[0].split("-")[0], 16)
    except (OSError, ValueError):
        pass
    return None


def _symbols(path: str, names) -> dict[bytes, tuple[int, int]]:
    """Address (relative to the load address) and size of each of ``names`` in the ELF
    file's symbol table; names it lacks are left out."""
    import numpy as np  # noqa: PLC0415

    entry = np.dtype([("name", "<u4"), ("info", "u1"), ("other", "u1"), ("shndx", "<u2"),
                      ("value", "<u8"), ("size", "<u8")])
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[:5] != b"\x7fELF\x02" or m[5] != 1:  # 64-bit, little-endian
            return {}
        shoff, = struct.unpack_from("<Q", m, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", m, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", m, shoff + i * shentsize) for i in range(shnum)]
        found = {}
        for sec in sections:
            if sec[1] != 2:  # SHT_SYMTAB
                continue
            strtab = sections[sec[6]]
            table = np.frombuffer(m, dtype=entry, count=sec[5] // entry.itemsize, offset=sec[4]).copy()
            for name in names:
                at = m.find(b"\0" + name + b"\0", strtab[4], strtab[4] + strtab[5])
                if at < 0:
                    continue
                hits = np.nonzero(table["name"] == at + 1 - strtab[4])[0]
                if len(hits) == 1:
                    found[name] = (int(table["value"][hits[0]]), int(table["size"][hits[0]]))
            del table
        return found


def cpu_sizes() -> tuple[int, int, int] | None:
    """The cache sizes Eigen reads from this CPU (its own query, called in TensorFlow's
    library), or None where it cannot be called."""
    where = _loaded(LIBRARIES[0])
    if where is None:
        return None
    found = _symbols(where[0], [_QUERY_SYMBOL])
    if _QUERY_SYMBOL not in found:
        return None
    query = ctypes.CFUNCTYPE(None, *(ctypes.POINTER(ctypes.c_int),) * 3)(where[1] + found[_QUERY_SYMBOL][0])
    sizes = [ctypes.c_int(0) for _ in range(3)]
    query(*(ctypes.byref(s) for s in sizes))
    return tuple(s.value for s in sizes)


def in_force(library: str = LIBRARIES[0]) -> tuple[int, int, int] | None:
    """The sizes ``library``'s Eigen uses now, or None before it first asked (or where
    the library or its symbol is not there)."""
    where = _loaded(library)
    if where is None:
        return None
    found = _symbols(where[0], list(_SYMBOL_BYTES))
    if set(found) != set(_SYMBOL_BYTES):
        return None
    if not ctypes.c_uint8.from_address(where[1] + found[_GUARD_SYMBOL][0]).value:
        return None
    return tuple(ctypes.c_int64.from_address(where[1] + found[_SIZES_SYMBOL][0] + 8 * i).value
                 for i in range(3))


def platform_supported() -> bool:
    """Whether the kit can fix the sizes on this operating system (Linux: it reads the
    loaded library through ``/proc/self/maps``)."""
    return sys.platform.startswith("linux")


def pin(sizes: tuple[int, int, int] = SIZES) -> str:
    """Make TensorFlow's Eigen use ``sizes`` in this process, from now on. Call it after
    TensorFlow loads, before its first matrix product (the kit does, when Keras loads;
    a product computed before is cut by the CPU's sizes). Returns ``"pinned"``, or why
    not (not Linux, TensorFlow not loaded, a library without the expected symbols), and
    keeps it in :data:`status`."""
    global status
    if len(sizes) != 3 or any(int(s) <= 0 for s in sizes):
        raise ValueError(f"sizes={sizes!r}: give three positive byte counts (L1, L2, L3)")
    if not platform_supported():
        status = f"not pinned: {sys.platform} (the kit pins them on Linux only)"
        return status
    if "tensorflow" not in sys.modules:
        status = "not pinned: TensorFlow is not loaded in this process"
        return status
    targets = []
    for library in LIBRARIES:
        where = _loaded(library)
        if where is None:
            if library == LIBRARIES[0]:  # the one that computes the products
                status = f"not pinned: {library} is not loaded (another TensorFlow build?)"
                return status
            continue
        found = _symbols(where[0], list(_SYMBOL_BYTES))
        wrong = [n.decode() for n, size in _SYMBOL_BYTES.items() if found.get(n, (0, -1))[1] != size]
        if wrong:
            status = f"not pinned: {library} lacks Eigen's cache sizes as expected ({', '.join(wrong)})"
            return status
        targets.append(tuple(where[1] + found[n][0] for n in (_SIZES_SYMBOL, _GUARD_SYMBOL)))
    for values, guard in targets:
        for i, size in enumerate(sizes):
            ctypes.c_int64.from_address(values + 8 * i).value = int(size)
        # C++ marks a function's static object as built by the first byte of its guard;
        # Eigen then reads the sizes above instead of asking the CPU
        ctypes.c_uint8.from_address(guard).value = 1
    status = "pinned"
    return status


def describe(sizes: tuple[int, int, int] = SIZES) -> str:
    """The sizes as a reader wants them: ``32 KiB, 512 KiB and 16 MiB``."""
    def size(n: int) -> str:
        return f"{n // (1 << 20)} MiB" if n % (1 << 20) == 0 else f"{n // 1024} KiB"
    return f"{size(sizes[0])}, {size(sizes[1])} and {size(sizes[2])}"
