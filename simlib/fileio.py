"""File helpers shared by every format: atomic writes and readable-file checks."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from simlib.errors import FormatError


def require_file(path) -> Path:
    """Return `path` as a Path, or raise FormatError if it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: file not found")
    return path


@contextlib.contextmanager
def atomic_path(path, copy_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `path`, moved onto `path` only if the block succeeds.

    A failed write therefore never leaves a partial file (nor replaces a good one).

    Parameters
    ----------
    path : str or path-like
        The final file. Missing parent directories are created.
    copy_existing : bool
        Start the temporary file as a copy of `path` (for append modes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same suffix as the target (pynwb warns otherwise); os.open with 0o666 lets the umask
    # apply, unlike mkstemp's 0o600.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}")
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        if copy_existing and path.exists():
            shutil.copyfile(path, tmp)
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def h5_compression(compression, dtype=None, size: int = 1) -> dict:
    """h5py dataset keywords for BMTK's `compression` argument.

    Accepts 'gzip' (default), 'lzf', 'none'/None/False, or an int 0-9 (a gzip level).
    'gzip' means deflate level 1 after HDF5's byte-shuffle filter: both are built into every
    HDF5 library, so any reader opens the file; the pair writes faster and smaller files than
    BMTK's level 4 without shuffle. Empty datasets are stored uncompressed (nothing to chunk).

    Raises
    ------
    ConfigError
        Any other value.
    """
    import numpy as np

    from simlib.errors import ConfigError

    if compression is None or compression is False or (isinstance(compression, str) and compression.lower() == "none"):
        return {}
    if isinstance(compression, (int, np.integer)) and not isinstance(compression, bool) and 0 <= compression <= 9:
        level = int(compression)
    elif compression == "gzip":
        level = 1
    elif compression == "lzf":
        return {"compression": "lzf"} if size > 0 else {}
    else:
        raise ConfigError(f"compression: expected 'gzip', 'lzf', 'none', None or a gzip level 0-9, "
                          f"got {compression!r}")
    if size == 0:
        return {}
    opts = {"compression": "gzip", "compression_opts": level}
    if dtype is not None and np.dtype(dtype).kind in "biuf" and np.dtype(dtype).itemsize > 1:
        opts["shuffle"] = True
    return opts
