"""Sequential, chunk-aligned writing of large HDF5 datasets, compressing chunks on worker threads."""

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
    shuffled and deflated here, several at a time on `pool`'s threads, and stored with
    ``write_direct_chunk``: the same bytes HDF5 would store, produced in parallel.
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

    def append(self, values: np.ndarray) -> None:
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
            # a private copy in the dataset's dtype (the caller may reuse `data`); _encode reads it as is
            block = np.array(data[i:i + self.step], dtype=self.ds.dtype, order="C")
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
        return zlib.compress(raw, self.level)
