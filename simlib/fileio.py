"""File helpers shared by every format: atomic writes (and their leftovers), readable-file checks and JSON files."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from simlib.errors import FormatError, FormatFileNotFoundError, OutputError, SimlibError, show_value, with_builtin


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


# Temporary names carry the writer's host, pid and a per-process token, so a later run can tell
# the leftovers of a killed run (owner gone) from the files a live process is still writing.
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:20] or "host"
_TOKEN = uuid.uuid4().hex[:8]
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<host>\w+)-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})-[0-9a-f]{6}\.tmp")
_FOREIGN_TEMP_AGE_S = 86400.0   # another host's temporary file is stale after a day (no way to ask its owner)
_CLEANED: set[Path] = set()     # folders whose stale temporary files this process has removed
# errno values that mean "this output cannot be written" whoever raised them (h5py sets errno too);
# EIO/EACCES/EPERM only count when they concern the output file itself (an input may raise them too)
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
_OWN_FILE_ERRNOS = frozenset({errno.EIO, errno.EACCES, errno.EPERM})


def temp_path(path) -> Path:
    """A new temporary name next to `path`: ``.<name>.<host>-<pid>-<token>-<random>.tmp<suffix>``.

    The suffix stays that of `path` (pynwb and matplotlib choose the format from it).
    """
    path = Path(path)
    return path.with_name(f".{path.name}.{_HOST}-{os.getpid()}-{_TOKEN}-{uuid.uuid4().hex[:6]}.tmp{path.suffix}")


def _owner_gone(match: re.Match, mtime: float) -> bool:
    if match["host"] != _HOST:
        return time.time() - mtime > _FOREIGN_TEMP_AGE_S
    pid = int(match["pid"])
    if pid == os.getpid():
        return match["token"] != _TOKEN   # an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:   # alive, another user's
        return False
    return False


def remove_stale_temps(folder) -> list[Path]:
    """Remove the temporary files and folders that killed runs left in `folder` (not recursive).

    Only names made by :func:`temp_path` count, and only when their process is gone (same host)
    or they are more than a day old (another host). Returns what was removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None:
            continue
        try:
            if not _owner_gone(match, entry.stat(follow_symlinks=False).st_mtime):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:   # removed meanwhile by another run
            continue
        removed.append(Path(entry.path))
    return removed


def _clean_once(folder: Path) -> None:
    folder = folder.absolute()
    if folder not in _CLEANED:
        remove_stale_temps(folder)
        _CLEANED.add(folder)


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))


def folder_problem(folder, exc: OSError) -> str:
    """Why `folder` could not be created or written, for a message: names the file in its way, if any."""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        for parent in (Path(folder), *Path(folder).parents):
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    return f"{parent} is a file, not a folder"
                break
    return _reason(exc)


def make_folder(folder, for_path=None) -> Path:
    """Create `folder` (and its parents) if needed.

    Raises
    ------
    OutputError
        It cannot be created (a parent is a file, no permission, read-only or full file system);
        the message names `for_path` when given (the file the folder is for).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what = f"{for_path}: cannot write, folder" if for_path is not None else "output folder"
        raise OutputError(f"{what} {folder} cannot be created ({folder_problem(folder, exc)})") from None
    return folder


def output_error(exc: OSError, path, tmp=None, existed: bool | None = None) -> OutputError | None:
    """The OutputError for an OSError raised while writing `path` (via `tmp`), or None if it is not about writing.

    Full disk, quota, file too large and read-only file system always count; I/O and permission
    errors only when they concern the output (h5py names no file: it counts).
    """
    path = Path(path)
    existed = path.exists() if existed is None else existed
    name = None if exc.filename is None else str(exc.filename)
    own = name is None or name == str(path) or (tmp is not None and name.startswith(str(tmp)))
    if exc.errno not in _WRITE_ERRNOS and not (exc.errno in _OWN_FILE_ERRNOS and own):
        return None
    kept = "the previous file is unchanged" if existed else "no file was written"
    return OutputError(f"{path}: cannot write ({_reason(exc)}); {kept}")


@contextlib.contextmanager
def atomic_path(path, copy_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `path`, moved onto `path` only if the block succeeds.

    A failed write therefore never leaves a partial file (nor replaces a good one). Temporary
    files that killed runs left in the folder are removed (once per folder and process).

    Parameters
    ----------
    path : str or path-like
        The final file. Missing parent directories are created.
    copy_existing : bool
        Start the temporary file as a copy of `path` (for append modes).

    Raises
    ------
    OutputError
        The file cannot be written (disk full, quota, I/O error, read-only or not a folder): the
        message names `path`; the temporary file is removed and any older `path` is left as it was.
    """
    path = Path(path)
    make_folder(path.parent, path)
    _clean_once(path.parent)
    existed = path.exists()
    tmp = temp_path(path)
    try:
        # os.open with 0o666 lets the umask apply, unlike mkstemp's 0o600
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_reason(exc)}); "
                          f"{'the previous file is unchanged' if existed else 'no file was written'}") from None
    try:
        if copy_existing and existed:
            shutil.copyfile(path, tmp)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        error = output_error(exc, path, tmp, existed)
        if error is None:
            raise
        raise error from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


_H5_FILENAME = re.compile(r"filename = '([^']*)'")


@contextlib.contextmanager
def atomic_dir(path) -> Iterator[Path]:
    """Yield a temporary folder next to `path` that replaces `path` only if the block succeeds.

    A failed build therefore leaves the previous folder as it was and no partial folder behind;
    a run killed at any point leaves either the old folder, the new one, or none at `path`, and
    temporary folders that the next run removes.

    Raises
    ------
    OutputError
        A file in it cannot be written (disk full, I/O error, ...): the message names the folder
        and, when known, the file.
    """
    path = Path(path)
    make_folder(path.parent, path)
    _clean_once(path.parent)
    existed = path.exists()
    tmp = temp_path(path)
    try:
        tmp.mkdir()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_reason(exc)})") from None
    old = None
    try:
        yield tmp
        if existed:
            # out of the way first: rename is atomic, a half-done rmtree at `path` would not be
            old = temp_path(path)
            path.rename(old)
        try:
            tmp.rename(path)
        except OSError:
            if old is not None:
                old.rename(path)
                old = None
            raise
    except OSError as exc:
        error = output_error(exc, path, tmp, existed)
        if error is None:
            raise
        name = exc.filename or next(iter(_H5_FILENAME.findall(str(exc))), None)
        inner = f" {str(name).replace(str(tmp), str(path))}" if name and str(name) != str(tmp) else ""
        kept = "the previous folder is unchanged" if existed else "no folder was written"
        raise OutputError(f"{path}: cannot write{inner} ({_reason(exc)}); {kept}") from None
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover)


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
