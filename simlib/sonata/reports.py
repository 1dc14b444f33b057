"""SONATA compartment (membrane) reports: streaming writer and validating reader.

Layout, as BMTK writes it (one group per node population)::

    /report/<population>/data                  float (n_steps, n_elements); attrs variable, units
    /report/<population>/mapping/node_ids      uint64 (n_nodes,)
    /report/<population>/mapping/index_pointer uint64 (n_nodes + 1,)      also linked as index_pointers
    /report/<population>/mapping/element_ids   uint64 (n_elements,)   section index in the cell
    /report/<population>/mapping/element_pos   float64 (n_elements,)  segment position x in [0, 1]
    /report/<population>/mapping/time          float64 [tstart_ms, tstop_ms, dt_ms]

Time convention of simlib: row k of `data` is the state at ``t = tstart + k*dt`` for
k = 0..n_steps-1, so row 0 is the initial state and ``tstop`` itself is not sampled;
``n_steps = round((tstop - tstart) / dt)``. BMTK's BioNet samples after each step instead
(row k at ``tstart + (k+1)*dt``) and its reader labels the rows ``linspace(tstart, tstop, n_steps)``;
the stored arrays are the same, only the time labels differ. libsonata reads the files too
when they are written with ``dtype=np.float32`` and `units` (it requires both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from simlib.errors import FormatError, SimlibError, where
from simlib.fileio import h5_compression
from simlib.sonata.files import IncrementalH5Writer, open_h5, require_dataset

REPORT_ROOT = "report"
MAPPING_DATASETS = ("node_ids", "index_pointer", "element_ids", "element_pos", "time")

VARIABLE_UNITS = {
    # NEURON (BioNet)
    "v": "mV", "cai": "mM", "cao": "mM", "nai": "mM", "ki": "mM", "ica": "mA/cm2", "ina": "mA/cm2",
    "ik": "mA/cm2", "i_membrane_": "nA",
    # NEST (PointNet)
    "V_m": "mV", "V_th": "mV", "threshold": "mV", "threshold_spike": "mV", "threshold_voltage": "mV",
    "I_syn_ex": "pA", "I_syn_in": "pA", "I_syn": "pA", "I": "pA", "ASCurrents_sum": "pA", "w": "pA",
    "g_ex": "nS", "g_in": "nS", "g_1": "nS", "g_2": "nS",
}
"""Units of the report variables the simulators record: written as the data's ``units`` attribute, and
used to label plots of reports that store none (BMTK writes no units by default)."""


def _n_steps(tstart_ms: float, tstop_ms: float, dt_ms: float) -> int:
    return round((tstop_ms - tstart_ms) / dt_ms)


def _bmtk_safe_tstop(tstart_ms: float, tstop_ms: float, dt_ms: float, n_steps: int) -> float:
    """`tstop_ms`, raised by a few ulps if needed so that BMTK's int() truncation sees `n_steps`.

    BMTK reads ``int((tstop - tstart) / dt)`` rows, which drops the last one when the float
    quotient lands just below an integer (e.g. 0.3 / 0.1 = 2.9999999999999996).
    """
    value = float(tstop_ms)
    for _ in range(16):
        if int((value - tstart_ms) / dt_ms) >= n_steps:
            return value
        value = math.nextafter(value, math.inf)
    return float(tstop_ms)


def _as_uint64(values, name: str) -> np.ndarray:
    arr = np.asarray(values).reshape(-1)
    if arr.size == 0:
        return arr.astype(np.uint64)
    numeric = arr.dtype.kind in "iuf"
    # whole-valued floats (np.zeros(n) for soma-only cells) are accepted
    if not numeric or arr.min() < 0 or (arr.dtype.kind == "f" and not np.all(np.mod(arr, 1) == 0)):
        raise SimlibError(f"{name} must be non-negative integers, got dtype {arr.dtype}"
                          + (f" with minimum {arr.min()}" if numeric else ""))
    return arr.astype(np.uint64)


def _data_layout(n_steps: int, n_elements: int, dtype, compression) -> dict:
    """h5py keywords of a data dataset: compression, chunk tiles, and a cache for one row of tiles.

    Appends write blocks of rows across all columns; the cache holds every chunk a block touches,
    so a compressed chunk is never written partly and re-read.
    """
    opts = h5_compression(compression, dtype, n_steps * n_elements)
    if not opts:
        return opts
    itemsize = np.dtype(dtype).itemsize
    cols = min(n_elements, 4096)
    rows = max(1, min(n_steps, (1 << 15) // cols))
    opts["chunks"] = (rows, cols)
    opts["rdcc_nbytes"] = max(1 << 20, 2 * rows * n_elements * itemsize)
    opts["rdcc_nslots"] = 10007
    return opts


@dataclass
class ReportMapping:
    """Which data columns belong to which node, for one population.

    Attributes
    ----------
    node_ids : (n_nodes,) node ids, in column order.
    index_pointer : (n_nodes + 1,) the columns of node i are ``[index_pointer[i], index_pointer[i+1])``.
    element_ids : (n_elements,) section index of each column within its cell.
    element_pos : (n_elements,) position of each column's segment along its section (0..1).
    """

    node_ids: np.ndarray
    index_pointer: np.ndarray
    element_ids: np.ndarray
    element_pos: np.ndarray

    def __post_init__(self):
        self.node_ids = _as_uint64(self.node_ids, "node_ids")
        self.index_pointer = _as_uint64(self.index_pointer, "index_pointer")
        self.element_ids = _as_uint64(self.element_ids, "element_ids")
        self.element_pos = np.asarray(self.element_pos, dtype=np.float64).reshape(-1)

    @classmethod
    def from_elements(cls, node_ids, element_ids: list, element_pos: list) -> ReportMapping:
        """Build a mapping from per-node lists of section indices and segment positions."""
        counts = [len(ids) for ids in element_ids]
        pointer = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        # empty lists are skipped: as float arrays they would turn the concatenated ids into floats
        ids = [np.asarray(a).reshape(-1) for a in element_ids if len(a)]
        pos = [np.asarray(a, dtype=np.float64).reshape(-1) for a in element_pos if len(a)]
        flat_ids = np.concatenate(ids) if ids else np.zeros(0, np.uint64)
        flat_pos = np.concatenate(pos) if pos else np.zeros(0, np.float64)
        return cls(node_ids, pointer, flat_ids, flat_pos)

    @property
    def n_elements(self) -> int:
        return int(self.element_ids.size)

    def problems(self) -> list[str]:
        """Every inconsistency of the arrays (empty when the mapping is valid)."""
        out = []
        n_nodes = self.node_ids.size
        if self.index_pointer.size != n_nodes + 1:
            out.append(f"index_pointer has {self.index_pointer.size} entries, expected n_nodes + 1 = {n_nodes + 1}")
        else:
            ptr = self.index_pointer.astype(np.int64)
            if ptr[0] != 0:
                out.append(f"index_pointer[0] is {ptr[0]}, expected 0")
            if np.any(np.diff(ptr) < 0):
                out.append("index_pointer is not non-decreasing")
            if ptr[-1] != self.element_ids.size:
                out.append(f"index_pointer[-1] is {ptr[-1]}, expected n_elements = {self.element_ids.size}")
        if self.element_pos.size != self.element_ids.size:
            out.append(f"element_pos has {self.element_pos.size} entries but element_ids has {self.element_ids.size}")
        unique, counts = np.unique(self.node_ids, return_counts=True)
        if np.any(counts > 1):
            out.append(f"node_ids repeated: {unique[counts > 1][:10].tolist()}")
        return out


class CompartmentReportWriter(IncrementalH5Writer):
    """Write a compartment report block by block (as a simulation gathers them on MPI rank 0).

    The file is written to a temporary name and moved onto `path` by :meth:`close`; an
    exception inside the ``with`` block (or :meth:`abort`) removes it and keeps any older file.
    Use it as a context manager (or call close/abort): an abandoned writer leaves its temporary
    file. It knows nothing of MPI: create it on the rank that gathers the blocks.

    Parameters
    ----------
    path : output .h5 file.
    variable : recorded variable, e.g. 'v' or 'cai' (stored as the ``variable`` attribute).
    mappings : population name -> :class:`ReportMapping`.
    tstart_ms, tstop_ms, dt_ms : recording window and sampling interval (ms); rows are
        sampled at ``tstart + k*dt`` for k = 0..n_steps-1 (row 0 is the initial state).
    n_steps : expected row count; default ``round((tstop - tstart) / dt)``, and it must equal that.
    units : stored as the ``units`` attribute when given (BMTK omits it by default).
    compression : 'gzip', 'lzf', None/'none' or a gzip level (see :func:`simlib.fileio.h5_compression`).
    dtype : dtype of the data datasets.

    Raises
    ------
    SimlibError
        Bad time window, inconsistent mappings, or `n_steps` that disagrees with the window.
    """

    def __init__(self, path, variable: str, mappings: dict[str, ReportMapping], tstart_ms: float, tstop_ms: float,
                 dt_ms: float, n_steps: int | None = None, units: str | None = None, compression=None,
                 dtype=np.float64):
        self.path = Path(path)
        problems = []
        if not dt_ms > 0:
            problems.append(f"dt_ms must be > 0, got {dt_ms}")
        if not tstop_ms > tstart_ms:
            problems.append(f"tstop_ms ({tstop_ms}) must be > tstart_ms ({tstart_ms})")
        if not mappings:
            problems.append("no populations given (mappings is empty)")
        for name, mapping in (mappings or {}).items():
            problems += [f"population '{name}': {p}" for p in mapping.problems()]
        if not problems:
            expected = _n_steps(tstart_ms, tstop_ms, dt_ms)
            if n_steps is not None and int(n_steps) != expected:
                problems.append(f"n_steps={n_steps} but (tstop - tstart) / dt = ({tstop_ms} - {tstart_ms}) / {dt_ms} "
                                f"gives {expected}")
            n_steps = expected
        if problems:
            raise SimlibError(f"{self.path}: cannot write compartment report: " + "; ".join(problems))

        self.n_steps = int(n_steps)
        self.mappings = dict(mappings)
        self._rows = {name: 0 for name in mappings}
        h5 = self._create(self.path)
        self._data = {}
        try:
            root = h5.create_group(REPORT_ROOT)
            tstop_stored = _bmtk_safe_tstop(tstart_ms, tstop_ms, dt_ms, self.n_steps)
            for name, mapping in self.mappings.items():
                grp = root.create_group(name)
                self._data[name] = grp.create_dataset(
                    "data", shape=(self.n_steps, mapping.n_elements), dtype=dtype,
                    **_data_layout(self.n_steps, mapping.n_elements, dtype, compression))
                self._data[name].attrs["variable"] = variable
                if units is not None:
                    self._data[name].attrs["units"] = units
                mgrp = grp.create_group("mapping")
                mgrp.create_dataset("node_ids", data=mapping.node_ids)
                mgrp.create_dataset("index_pointer", data=mapping.index_pointer)
                mgrp.create_dataset("element_ids", data=mapping.element_ids)
                mgrp.create_dataset("element_pos", data=mapping.element_pos)
                # BMTK reads 'index_pointer', the SONATA spec (and libsonata) 'index_pointers': one dataset, two names
                mgrp["index_pointers"] = mgrp["index_pointer"]
                mgrp.create_dataset("time", data=np.array([tstart_ms, tstop_stored, dt_ms], dtype=np.float64))
                mgrp["time"].attrs["units"] = "ms"
        except BaseException as exc:
            self._fail(exc)
            raise

    def append(self, population: str, block: np.ndarray) -> None:
        """Write the next ``k`` time steps of `population`, a ``(k, n_elements)`` array.

        Raises
        ------
        SimlibError
            Unknown population, a block that is not 2-D, the wrong width, or more rows than `n_steps`.
        """
        if self._stack is None:
            raise SimlibError(f"{self.path}: report writer is closed")
        if population not in self._data:
            raise SimlibError(f"{self.path}: population '{population}' is not in this report; "
                              f"known: {sorted(self._data)}")
        block = np.asarray(block)
        dset = self._data[population]
        if block.ndim != 2 or block.shape[1] != dset.shape[1]:
            raise SimlibError(f"{self.path}: population '{population}': block has shape {block.shape}, "
                              f"expected (k, {dset.shape[1]})")
        start = self._rows[population]
        stop = start + block.shape[0]
        if stop > self.n_steps:
            raise SimlibError(f"{self.path}: population '{population}': {block.shape[0]} rows after {start} "
                              f"would exceed n_steps = {self.n_steps}")
        with self._writing():
            dset[start:stop] = block
        self._rows[population] = stop

    def _incomplete(self) -> str | None:
        short = [f"'{name}' has {rows}" for name, rows in self._rows.items() if rows != self.n_steps]
        return (f"report incomplete, expected {self.n_steps} rows per population: " + ", ".join(short)
                if short else None)


def report_files(name: str, spec: dict, output_dir) -> dict[str, Path]:
    """``{variable: file}`` of a membrane report, as the simulation writes them.

    One variable: ``file_name`` (default ``<name>.h5``) in ``output_dir`` unless absolute; several
    variables: one file each, ``<stem>.<variable><suffix>``.
    """
    variables = spec.get("variable_name", "v")
    variables = [variables] if isinstance(variables, str) else list(variables)
    path = Path(spec.get("file_name", f"{name}.h5"))
    if not path.is_absolute():
        path = Path(output_dir) / path
    if len(variables) == 1:
        return {variables[0]: path}
    return {var: path.with_name(f"{path.stem}.{var}{path.suffix}") for var in variables}


def write_compartment_report(path, variable: str, mappings: dict[str, ReportMapping], data: dict[str, np.ndarray],
                             tstart_ms: float, dt_ms: float, units: str | None = None, compression=None) -> None:
    """Write a whole compartment report at once (atomically); `data[pop]` is ``(n_steps, n_elements)``.

    ``tstop_ms`` is ``tstart_ms + n_steps * dt_ms`` (see the module docstring for the time convention).

    Raises
    ------
    SimlibError
        `data` and `mappings` name different populations, or the populations differ in row count.
    """
    if set(data) != set(mappings):
        raise SimlibError(f"{path}: data populations {sorted(data)} differ from mapping populations {sorted(mappings)}")
    arrays = {name: np.asarray(block) for name, block in data.items()}
    rows = {name: (a.shape[0] if a.ndim else 0) for name, a in arrays.items()}
    if len(set(rows.values())) != 1:
        raise SimlibError(f"{path}: populations have different numbers of time steps: {rows}")
    n_steps = next(iter(rows.values()))
    with CompartmentReportWriter(path, variable, mappings, tstart_ms, tstart_ms + n_steps * dt_ms, dt_ms,
                                 n_steps=n_steps, units=units, compression=compression) as writer:
        for name, block in arrays.items():
            writer.append(name, block)


@dataclass
class CompartmentReport:
    """One population of a compartment report, fully loaded.

    ``time_ms[k] = tstart + k*dt`` labels row k of `data` (row 0 is the initial state).
    """

    population: str
    variable: str
    units: str | None
    time_ms: np.ndarray
    node_ids: np.ndarray
    index_pointer: np.ndarray
    element_ids: np.ndarray
    element_pos: np.ndarray
    data: np.ndarray
    path: str | None = None

    @property
    def dt_ms(self) -> float:
        return float(self.time_ms[1] - self.time_ms[0]) if self.time_ms.size > 1 else float("nan")

    def node_index(self, node_ids) -> np.ndarray:
        """Positions of `node_ids` in :attr:`node_ids`.

        Raises
        ------
        SimlibError
            Some ids are not in the report (all of them are listed, up to 20).
        """
        label = where(self.path or "<report>", self.population)
        try:
            wanted = np.asarray(node_ids, dtype=np.int64).reshape(-1)
        except (TypeError, ValueError):
            raise SimlibError(f"{label}: node ids must be integers, got {node_ids!r}") from None
        ids = self.node_ids.astype(np.int64)
        order = np.argsort(ids, kind="stable")
        pos = np.searchsorted(ids[order], wanted)
        found = pos < ids.size
        found[found] = ids[order][pos[found]] == wanted[found]
        if not np.all(found):
            missing = wanted[~found]
            raise SimlibError(f"{label}: {missing.size} node id(s) not in the report: {missing[:20].tolist()}; "
                              f"it holds {ids.size} nodes "
                              f"({ids[:10].tolist()}{' ...' if ids.size > 10 else ''})")
        return order[pos]

    def columns(self, node_ids, element: str | int = "origin") -> tuple[np.ndarray, np.ndarray]:
        """Data columns of several nodes and the node owning each column.

        Parameters
        ----------
        node_ids : node id or ids.
        element : 'origin' (each node's first element), 'all', or an element (section) id.

        Returns
        -------
        (columns, owners) : column indices into :attr:`data`, node id of each column.

        Raises
        ------
        SimlibError
            Unknown nodes, nodes without elements or without that element id, or a bad `element`.
        """
        label = where(self.path or "<report>", self.population)
        if isinstance(element, str) and element not in ("origin", "all"):
            raise SimlibError(f"{label}: element must be 'origin', 'all' or an element (section) id, got {element!r}")
        ids = np.asarray(node_ids).reshape(-1)
        pos = self.node_index(ids)
        beg = self.index_pointer[pos].astype(np.int64)
        counts = self.index_pointer[pos + 1].astype(np.int64) - beg
        if np.any(counts == 0):
            raise SimlibError(f"{label}: node(s) {ids[counts == 0][:20].tolist()} have no recorded elements")
        if isinstance(element, str) and element == "origin":
            return beg, ids
        # ragged arange: beg[i] .. beg[i] + counts[i] for every node, concatenated
        starts = np.repeat(beg - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        cols = starts + np.arange(counts.sum())
        owners = np.repeat(ids, counts)
        if isinstance(element, str):
            return cols, owners
        keep = self.element_ids[cols] == int(element)
        lacking = np.setdiff1d(ids, owners[keep])
        if lacking.size:
            raise SimlibError(f"{label}: node(s) {lacking[:20].tolist()} have no element id {element}")
        return cols[keep], owners[keep]

    def traces(self, node_id, element: str | int = "origin") -> np.ndarray:
        """Time course of one node: ``(n_steps,)`` for 'origin', ``(n_steps, k)`` for 'all' or an element id."""
        cols, _ = self.columns([node_id], element)
        return self.data[:, cols[0]] if isinstance(element, str) and element == "origin" else self.data[:, cols]


def _attr_str(obj, name: str) -> str | None:
    value = obj.attrs.get(name)
    if isinstance(value, bytes):
        return value.decode()
    return None if value is None else str(value)


def report_populations(path) -> list[str]:
    """Names of the node populations in a compartment report file.

    Raises
    ------
    FormatError
        The file is missing, not HDF5, or has no '/report' group.
    """
    with open_h5(path) as h5:
        if REPORT_ROOT not in h5 or not isinstance(h5[REPORT_ROOT], h5py.Group):
            raise FormatError(f"{path}: group '/{REPORT_ROOT}' missing; not a SONATA compartment report")
        return list(h5[REPORT_ROOT].keys())


def read_compartment_report(path, population: str | None = None) -> CompartmentReport:
    """Read and validate one population of a compartment report (BMTK or simlib written).

    Parameters
    ----------
    path : the report .h5 file.
    population : required when the file holds several populations.

    Raises
    ------
    FormatError
        Missing groups or datasets, an inconsistent mapping, a data width that disagrees with
        index_pointer, or a row count that disagrees with the time dataset (all problems at once).
    """
    available = report_populations(path)
    if population is None:
        if len(available) != 1:
            raise FormatError(f"{path}: holds report populations {available}; name one with population=")
        population = available[0]
    elif population not in available:
        raise FormatError(f"{path}: report population '{population}' not found; available: {available}")

    base = f"{REPORT_ROOT}/{population}"
    with open_h5(path) as h5:
        data_ds = require_dataset(h5, path, f"{base}/data")
        names = {name: name for name in MAPPING_DATASETS}
        if not isinstance(h5.get(f"{base}/mapping/index_pointer"), h5py.Dataset):
            names["index_pointer"] = "index_pointers"  # the SONATA spec's name; BMTK writes 'index_pointer'
        missing = [f"{base}/mapping/{name}" for name in names.values()
                   if not isinstance(h5.get(f"{base}/mapping/{name}"), h5py.Dataset)]
        if missing:
            raise FormatError(f"{path}: dataset(s) {missing} missing; required by the SONATA report format")
        arrays = {key: h5[f"{base}/mapping/{name}"][()] for key, name in names.items()}
        variable = _attr_str(data_ds, "variable")
        units = _attr_str(data_ds, "units")
        data = data_ds[()]

    problems = []
    mapping = None
    try:
        mapping = ReportMapping(arrays["node_ids"], arrays["index_pointer"], arrays["element_ids"],
                                arrays["element_pos"])
        problems += [f"{base}/mapping: {p}" for p in mapping.problems()]
    except SimlibError as exc:
        problems.append(f"{base}/mapping: {exc}")
    if data.ndim != 2:
        problems.append(f"{base}/data has {data.ndim} dimensions, expected 2 (n_steps, n_elements)")
    elif mapping is not None and data.shape[1] != mapping.n_elements:
        problems.append(f"{base}/data has {data.shape[1]} columns but the mapping describes "
                        f"{mapping.n_elements} elements (index_pointer[-1] = "
                        f"{int(mapping.index_pointer[-1]) if mapping.index_pointer.size else 'n/a'})")
    time = np.asarray(arrays["time"], dtype=np.float64).reshape(-1)
    if time.size != 3:
        problems.append(f"{base}/mapping/time has {time.size} values, expected [tstart, tstop, dt]")
    elif not time[2] > 0:
        problems.append(f"{base}/mapping/time: dt = {time[2]} must be > 0")
    elif data.ndim == 2:
        span = (time[1] - time[0]) / time[2]
        # BMTK writes int() of the quotient rows, simlib round(); both are accepted
        if data.shape[0] not in (int(span), round(span)):
            problems.append(f"{base}/data has {data.shape[0]} rows but time = {time.tolist()} gives "
                            f"(tstop - tstart) / dt = {span:g}")
    if problems:
        raise FormatError(f"{path}: invalid compartment report: " + "; ".join(problems))

    return CompartmentReport(population=population, variable=variable or "", units=units,
                             time_ms=time[0] + time[2] * np.arange(data.shape[0]),
                             node_ids=mapping.node_ids, index_pointer=mapping.index_pointer,
                             element_ids=mapping.element_ids, element_pos=mapping.element_pos,
                             data=data, path=str(path))
