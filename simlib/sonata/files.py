"""Shared helpers for SONATA HDF5 files: root attributes, compression, atomic writes."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np

from simlib.errors import FormatError, SimlibError
from simlib.fileio import atomic_path, output_error, require_file

SONATA_MAGIC = np.uint32(0x0A7A)
SONATA_VERSION = np.array([0, 1], dtype=np.uint32)


@contextlib.contextmanager
def atomic_h5(path) -> Iterator[h5py.File]:
    """Open a new SONATA HDF5 file for writing (root magic/version set), atomically."""
    with atomic_path(path) as tmp:
        # an explicit 1 MB chunk cache per dataset: partial chunks of large writes stay bounded
        with h5py.File(tmp, "w", rdcc_nbytes=1 << 20) as h5:
            h5.attrs["magic"] = SONATA_MAGIC
            h5.attrs["version"] = SONATA_VERSION
            yield h5


class IncrementalH5Writer:
    """Base of writers that fill an HDF5 file block by block under a temporary name.

    :meth:`close` moves the file into place when :meth:`_incomplete` finds nothing missing; an
    exception inside ``with`` (or :meth:`abort`) removes the temporary file and keeps any older one.
    """

    path: Path
    _stack: contextlib.ExitStack | None = None

    def _create(self, path) -> h5py.File:
        self.path = Path(path)
        self._stack = contextlib.ExitStack()
        return self._stack.enter_context(atomic_h5(self.path))

    def _incomplete(self) -> str | None:
        """What is still missing (a message), or None when the file may be moved into place."""
        return None

    def close(self) -> None:
        """Move the file into place.

        Raises
        ------
        SimlibError
            The file is incomplete (the temporary file is removed).
        """
        if self._stack is None:
            return
        problem = self._incomplete()
        if problem:
            self.abort()
            raise SimlibError(f"{self.path}: {problem}")
        stack, self._stack = self._stack, None
        stack.close()

    def _fail(self, exc: BaseException) -> None:
        """Discard the file after `exc`; raise OutputError naming `path` instead if `exc` is a failed
        write (full disk, quota, I/O error)."""
        self.abort()
        error = output_error(exc, self.path) if isinstance(exc, OSError) else None
        if error is not None:
            raise error from None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Wrap a write into the file (see :meth:`_fail`)."""
        try:
            yield
        except OSError as exc:
            self._fail(exc)
            raise

    def abort(self) -> None:
        """Discard the temporary file; any older file at `path` is left untouched."""
        if self._stack is None:
            return
        stack, self._stack = self._stack, None
        # throwing into the atomic-write context managers makes them delete the temporary file; abort
        # runs while another error is on its way, so a second one (closing on a full disk) is dropped
        with contextlib.suppress(SimlibError, OSError):
            stack.__exit__(SimlibError, SimlibError("write aborted"), None)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def open_h5(path) -> h5py.File:
    """Open an existing HDF5 file read-only, with a clear error if it is missing or not HDF5."""
    path = require_file(path)
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"{path}: not a readable HDF5 file ({exc})") from None


def require_dataset(h5, path, dataset: str):
    """Return h5[dataset] or raise FormatError naming the file and dataset."""
    with h5_errors(path, dataset):
        if dataset not in h5 or not isinstance(h5[dataset], h5py.Dataset):
            raise FormatError(f"{path}: dataset '{dataset}' missing; required by the SONATA format")
        return h5[dataset]


DAMAGED = "the file is damaged (truncated or overwritten); expected intact HDF5 data"


@contextlib.contextmanager
def h5_errors(path, name: str):
    """Report what h5py raises on a damaged file (OSError, RuntimeError, KeyError, ValueError) as a
    FormatError naming the file and `name` (the dataset or group being read)."""
    try:
        yield
    except SimlibError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"{path}: '{name}': cannot be read ({reason}); {DAMAGED}") from None


def read_data(ds, path) -> np.ndarray:
    """All values of a dataset (strings decoded to str objects), FormatError if the bytes are damaged."""
    with h5_errors(path, ds.name):
        if h5py.check_string_dtype(ds.dtype) is not None:
            try:
                return ds.asstr()[()].astype(object) if ds.ndim else np.array(ds.asstr()[()], dtype=object)
            except UnicodeDecodeError as exc:
                raise FormatError(f"{path}: '{ds.name}': byte {exc.start} of a value is not UTF-8 "
                                  f"({exc.object[:20]!r}); expected UTF-8 strings") from None
        return ds[()]


def read_ids(h5, path, name: str, ndim: int = 1, n_cols: int | None = None) -> np.ndarray:
    """An id dataset (node ids, type ids, group ids and indices, index tables) as int64, checked.

    Raises
    ------
    FormatError
        The dataset is missing or unreadable, not of integers, not `ndim`-D (with `n_cols` columns),
        or holds a negative value or one beyond int64.
    """
    ds = require_dataset(h5, path, name)
    shape = "1-D" if ndim == 1 else f"2-D (n, {n_cols})"
    if ds.dtype.kind not in "iu":
        raise FormatError(f"{path}: '{name}': expected integers >= 0, got {_dtype_text(ds.dtype)} values")
    if ds.ndim != ndim or (n_cols is not None and ds.shape[-1] != n_cols):
        raise FormatError(f"{path}: '{name}': expected a {shape} dataset, got shape {ds.shape}")
    values = read_data(ds, path)
    if values.size and ds.dtype.kind == "u" and values.max() > np.iinfo(np.int64).max:
        row = int(np.argmax(values > np.iinfo(np.int64).max))
        raise FormatError(f"{path}: '{name}': row {row}: expected an id below 2^63, got {values.reshape(-1)[row]}")
    values = values.astype(np.int64)
    if values.size and values.min() < 0:
        row = int(np.argmax(values.reshape(-1) < 0))
        raise FormatError(f"{path}: '{name}': element {row}: expected integers >= 0, got {values.reshape(-1)[row]}")
    return values


def _dtype_text(dtype) -> str:
    if h5py.check_string_dtype(dtype) is not None or dtype.kind in "SUO":
        return "string"
    return {"f": "floating-point", "b": "boolean", "c": "complex"}.get(dtype.kind, str(dtype))


def to_h5_array(values):
    """Convert a column to something h5py can store (strings become variable-length UTF-8)."""
    arr = np.asarray(values)
    if arr.dtype.kind in ("U", "O"):
        if arr.dtype.kind == "O" and not all(isinstance(v, (str, bytes)) for v in arr.ravel()):
            raise TypeError("object column with non-string values")
        return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in arr.ravel()],
                        dtype=h5py.string_dtype()).reshape(arr.shape)
    return arr


def from_h5_array(ds, path=None) -> np.ndarray:
    """Read a dataset, decoding strings to Python str objects (FormatError naming `path` if damaged)."""
    return read_data(ds, path if path is not None else ds.file.filename)


def population_names(h5, path, kind: str) -> list[str]:
    """The populations of an open SONATA ``kind`` file (``nodes`` or ``edges``): the groups under ``/<kind>``.

    Raises
    ------
    FormatError
        No ``/<kind>`` group, or no population in it.
    """
    if not isinstance(h5.get(kind), h5py.Group):
        raise FormatError(f"{path}: group '/{kind}' missing; not a SONATA {kind} file")
    names = list(h5[kind].keys())
    if not names:
        raise FormatError(f"{path}: '/{kind}': no population; expected a group /{kind}/<population>")
    return names
