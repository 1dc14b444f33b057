"""Sequential, chunk-aligned writing of large HDF5 datasets, compressing chunks on worker threads.

Chunks of gzip (deflate) datasets are compressed here, not by HDF5's filter, so that several
compress at once, and with Intel's ISA-L deflate (the ``isal`` package) when it is installed:
about 6x faster than zlib at its fastest level, with a similar ratio. Its output is a standard
zlib stream that HDF5's deflate filter (and every SONATA reader) decompresses; the stored bytes
differ from zlib's, the decompressed data do not. ``DEFLATE = "zlib"`` makes the writer use zlib
(HDF5's own bytes).
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from concurrent.futures import Executor, ThreadPoolExecutor

import h5py
import numpy as np

from simlib.fileio import h5_compression

CHUNK_LEN = 1 << 17  # rows per HDF5 chunk of the large edge datasets (1 MB of uint64)
BATCH_CHUNKS = 1  # whole chunks gathered before a write
MAX_IN_FLIGHT = 4  # chunks being compressed per dataset and compression thread

try:
    from isal import isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib when it is missing
    isal_zlib = None
DEFLATE = "isal" if isal_zlib is not None else "zlib"
"""The deflate implementation of ChunkWriter: ``"isal"`` (ISA-L, when installed) or ``"zlib"``."""


def deflate(raw: bytes, level: int) -> bytes:
    """A zlib stream of ``raw``: ISA-L's (levels 1-9 map to its 1-3) when DEFLATE is "isal", else zlib's."""
    if DEFLATE == "isal" and level > 0:
        return isal_zlib.compress(raw, 1 if level <= 3 else 2 if level <= 6 else 3)
    return zlib.compress(raw, level)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which SLURM and taskset set), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity API on this platform
        return max(1, os.cpu_count() or 1)


def compression_pool() -> ThreadPoolExecutor:
    """Threads for chunk compression (zlib releases the GIL): one per available core."""
    return ThreadPoolExecutor(max_workers=available_cores())


def create_chunked(group: h5py.Group, name: str, shape: tuple, dtype, compression) -> h5py.Dataset:
    """Create a dataset of known final shape to be filled by a ChunkWriter."""
    dtype = h5py.string_dtype() if np.dtype(dtype).kind in "UO" else np.dtype(dtype)
    n = shape[0]
    opts = h5_compression(compression, dtype if dtype.kind != "O" else None, n)
    if n > 0 and (opts or n > CHUNK_LEN):
        opts["chunks"] = (min(n, CHUNK_LEN),) + tuple(shape[1:])
    return group.create_dataset(name, shape=shape, dtype=dtype, **opts)


class ChunkWriter:
    """Append rows to a dataset; only whole chunks (and finally the tail) reach HDF5.

    Chunk-aligned writes mean HDF5 never caches or re-reads partially written compressed
    chunks. When the dataset's filters are exactly HDF5's shuffle + deflate, the chunks are
    shuffled and deflated here (:func:`deflate`), several at a time on `pool`'s threads, and
    stored with ``write_direct_chunk``: what HDF5's filter pipeline would decode, produced in parallel.
    """

    def __init__(self, ds: h5py.Dataset, pool: Executor | None = None, max_in_flight: int | None = None):
        self.ds = ds
        self.max_in_flight = max_in_flight or MAX_IN_FLIGHT * available_cores()
        self.step = ds.chunks[0] if ds.chunks else max(1, CHUNK_LEN)
        self.pos = 0
        self.pending: list[np.ndarray] = []
        self.n_pending = 0
        self.pool = pool
        self.direct = (pool is not None and ds.chunks is not None and ds.compression == "gzip"
                       and ds.dtype.kind in "biuf" and not ds.fletcher32 and ds.scaleoffset is None)
        self.level = ds.compression_opts if self.direct else None
        self.in_flight: deque = deque()

    def append(self, values: np.ndarray, owned: bool = False) -> None:
        """Queue rows for writing. ``owned=True``: the caller hands ``values`` over (it will not
        change them), so whole chunks of it are compressed without a private copy."""
        if not owned or values.dtype != self.ds.dtype or not values.flags.c_contiguous:
            values = np.array(values, dtype=self.ds.dtype, order="C")
        self.pending.append(values)
        self.n_pending += len(values)
        if self.n_pending >= self.step * (BATCH_CHUNKS if self.direct else 1):
            data = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
            k = (self.n_pending // self.step) * self.step
            self._write(data[:k])
            self.pending = [data[k:]]
            self.n_pending -= k

    def close(self) -> None:
        if self.n_pending:
            self._write(np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0])
        self.pending, self.n_pending = [], 0
        while self.in_flight:
            self._store_oldest()
        if self.pos != self.ds.shape[0]:
            raise RuntimeError(f"{self.ds.name}: wrote {self.pos} rows into a dataset of {self.ds.shape[0]}")

    def _write(self, data: np.ndarray) -> None:
        if not self.direct:
            self.ds[self.pos:self.pos + len(data)] = data
            self.pos += len(data)
            return
        # compression runs on the pool while the caller prepares the next rows; at most
        # max_in_flight chunks wait, which bounds memory
        tail = (0,) * (len(self.ds.shape) - 1)
        for i in range(0, len(data), self.step):
            block = data[i:i + self.step]   # rows of the dataset's dtype that nobody changes (append)
            self.in_flight.append(((self.pos + i,) + tail, self.pool.submit(self._encode, block)))
            while len(self.in_flight) > self.max_in_flight:
                self._store_oldest()
        self.pos += len(data)

    def _store_oldest(self) -> None:
        offset, future = self.in_flight.popleft()
        self.ds.id.write_direct_chunk(offset, future.result())

    def _encode(self, block: np.ndarray) -> bytes:
        if block.shape == self.ds.chunks:
            chunk = block
        else:  # the last chunk, stored full size (zero padded) as HDF5 stores edge chunks
            chunk = np.zeros(self.ds.chunks, dtype=self.ds.dtype)
            chunk[: len(block)] = block
        size = chunk.dtype.itemsize
        raw = chunk.view(np.uint8).reshape(-1, size).T.tobytes() if self.ds.shuffle and size > 1 else chunk.tobytes()
        return deflate(raw, self.level)
