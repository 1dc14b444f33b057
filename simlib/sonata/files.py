"""Shared helpers for SONATA HDF5 files: root attributes, compression, atomic writes."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np

from simlib.errors import FormatError
from simlib.fileio import atomic_path

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


def open_h5(path) -> h5py.File:
    """Open an existing HDF5 file read-only, with a clear error if it is missing or not HDF5."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: file not found")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"{path}: not a readable HDF5 file ({exc})") from None


def require_dataset(h5, path, dataset: str):
    """Return h5[dataset] or raise FormatError naming the file and dataset."""
    if dataset not in h5 or not isinstance(h5[dataset], h5py.Dataset):
        raise FormatError(f"{path}: dataset '{dataset}' missing; required by the SONATA format")
    return h5[dataset]


def to_h5_array(values):
    """Convert a column to something h5py can store (strings become variable-length UTF-8)."""
    arr = np.asarray(values)
    if arr.dtype.kind in ("U", "O"):
        if arr.dtype.kind == "O" and not all(isinstance(v, (str, bytes)) for v in arr.ravel()):
            raise TypeError("object column with non-string values")
        return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in arr.ravel()],
                        dtype=h5py.string_dtype()).reshape(arr.shape)
    return arr


def from_h5_array(ds) -> np.ndarray:
    """Read a dataset, decoding strings to Python str objects."""
    if h5py.check_string_dtype(ds.dtype) is not None:
        return ds.asstr()[()].astype(object)
    return ds[()]
