"""File helpers shared by every format: atomic writes, readable-file checks and JSON files."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from simlib.errors import FormatError, FormatFileNotFoundError, SimlibError, show_value, with_builtin


def require_file(path) -> Path:
    """Return `path` as a Path, or raise FormatError (also a FileNotFoundError) if it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        raise FormatFileNotFoundError(f"{path}: file not found")
    return path


def read_json(path, required: Sequence[str] = (), *, expected: str | None = None,
              error: type[SimlibError] = FormatError) -> dict:
    """Read a JSON file that holds an object, with the checks every JSON input of simlib shares.

    Parameters
    ----------
    path : str or path-like
        The file.
    required : sequence of str
        Keys the object must hold; every missing one is named in a single message.
    expected : str, optional
        What the object should be, for the missing-key message (default: "keys <required>").
    error : type
        The exception raised: FormatError for data files, ConfigError for configuration files.

    Returns
    -------
    dict
        The parsed object.

    Raises
    ------
    FormatError (or `error`)
        ``<path>: file not found`` (also a FileNotFoundError); ``<path>: line L, column C: invalid
        JSON (...)`` (also a ValueError, as json raises); the top level is not an object; or required
        keys are missing (``<path>: key 'k' missing; expected ...``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise with_builtin(error, FileNotFoundError)(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: byte {exc.start + 1}: not UTF-8 text; expected a JSON file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise with_builtin(error, ValueError)(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON "
                                              f"({exc.msg})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a JSON object at the top level, got {show_value(data)}")
    missing = [key for key in required if key not in data]
    if missing:
        keys = ", ".join(f"'{key}'" for key in missing)
        raise error(f"{path}: {'key' if len(missing) == 1 else 'keys'} {keys} missing; expected "
                    f"{expected or 'keys ' + ', '.join(required)}")
    return data


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


@contextlib.contextmanager
def atomic_dir(path) -> Iterator[Path]:
    """Yield a temporary folder next to `path` that replaces `path` only if the block succeeds.

    A failed build therefore leaves the previous folder as it was and no partial folder behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


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
