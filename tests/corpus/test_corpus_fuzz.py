"""Property-based fuzzing of the binary and text readers (Hypothesis): random truncations and byte flips of
valid SONATA / spike h5 files, random lines in CSV / SWC files, random JSON configs. Whatever the bytes, a
reader returns or raises a SimlibError; any other exception is a bug. A fixed example budget bounds the time."""

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from simlib.errors import SimlibError

BUDGET = settings(max_examples=80, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _read_nodes(path, base):
    from simlib.sonata.nodes import read_nodes
    read_nodes(path, base.node_types)


def _read_edges(path, base):
    from simlib.sonata.edges import check_indices, read_edge_population, read_edges
    read_edges(path, base.edge_types)
    check_indices(path, read_edge_population(path))


def _read_spikes(path, base):
    from simlib.spikes import SpikeTrains
    SpikeTrains.load(path)


BINARY = {"nodes": _read_nodes, "raw_nodes": _read_nodes, "edges": _read_edges, "raw_edges": _read_edges,
          "spikes_h5": _read_spikes}


def _survives(read, data: bytes, name: str, base) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            read(path, base)
        except SimlibError:
            pass


@pytest.mark.parametrize("source", BINARY)
@BUDGET
@given(data=st.data())
def test_damaged_h5(base, source, data):
    original = getattr(base, source).read_bytes()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4), label="flips")):
        offset = data.draw(st.integers(0, len(damaged) - 1), label="offset")
        damaged[offset] ^= data.draw(st.integers(1, 255), label="mask")
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(damaged))), label="truncate at")
    _survives(BINARY[source], bytes(damaged[:cut] if cut is not None else damaged), getattr(base, source).name, base)


def _types(path, base):
    from simlib.sonata.types_csv import read_types_columns
    read_types_columns(path, "node_type_id")


def _spikes_csv(path, base):
    from simlib.spikes import SpikeTrains
    SpikeTrains.load(path)


def _electrodes(path, base):
    from simlib.sonata.ecp import read_electrodes
    read_electrodes(path)


def _swc(path, base):
    from simlib.morphology.swc import read_swc
    read_swc(path)


TEXT = {"node_types": _types, "spikes_csv": _spikes_csv, "electrodes": _electrodes, "swc": _swc}
CELL = st.one_of(st.sampled_from(["0", "1", "-1", "1.5", "nan", "inf", "NULL", '"', "[1, 2]", "", "1e400", "a b"]),
                 st.text(max_size=6))
LINE = st.one_of(st.lists(CELL, max_size=8).map(" ".join), st.text(max_size=30))


@pytest.mark.parametrize("source", TEXT)
@BUDGET
@given(data=st.data())
def test_random_lines(base, source, data):
    lines = getattr(base, source).read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(lines)), label="line")
        new = data.draw(LINE, label="text")
        if data.draw(st.booleans(), label="replace") and at < len(lines):
            lines[at] = new
        else:
            lines.insert(at, new)
    _survives(TEXT[source], "\n".join(lines).encode("utf-8", "surrogatepass"), getattr(base, source).name, base)


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.sampled_from(
                                                ["networks", "nodes", "edges", "nodes_file", "node_types_file", "run",
                                                 "tstop", "dt", "manifest", "$A", "components", "output", "inputs",
                                                 "node_sets", "output_dir", "x"]), inner, max_size=4)),
                    max_leaves=12)


def _circuit(path, base):
    from simlib.sonata.circuit import network_summary
    network_summary(path)


def _simulation(path, base):
    from simlib.config import SimulationConfig
    SimulationConfig.from_json(path)


@pytest.mark.parametrize("reader", [_circuit, _simulation], ids=["circuit", "simulation"])
@BUDGET
@given(config=JSON)
def test_random_json_configs(base, reader, config):
    _survives(reader, json.dumps(config).encode(), "config.json", base)
