"""Bad inputs for every reader and command of simlib, made by code at test time (issue 18).

:func:`build_base` writes one small, valid copy of every kind of input file (a SONATA network,
spike files, an SWC, fit / synaptic / filter JSONs, a movie, an electrode CSV and ECP report, an
ecephys NWB, a network script, FilterNet and BioNet configs). Each ``*_cases`` function returns
the :class:`Case` list of one kind of damage: a case copies what it needs from the base into its
own folder, damages it, and says how a user meets it (a command line, or a library call for
readers without a command) and which file the one-line message must name.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import h5py
import numpy as np

SENTINEL = b"known bytes of an older output\n"


@dataclass
class Run:
    """How a damaged input reaches simlib, and what the answer must show."""

    culprit: Path                          # the file the message must name
    argv: list[str] | None = None          # `simlib` command line ...
    call: Callable[[], object] | None = None  # ... or a library call (a reader without a command)
    says: tuple[str, ...] = ()             # further text the message must hold (field, position)
    outputs: tuple[Path, ...] = ()         # outputs holding SENTINEL before the run: must keep it


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[["Base", Path], Run]


@dataclass
class Base:
    """Paths of the valid inputs (see :func:`build_base`)."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Path:
        try:
            return self.__dict__["files"][name]
        except KeyError:
            raise AttributeError(name) from None


# --- the valid inputs ---------------------------------------------------------------------------

FILTER = {"opt_wts": [3.0, -1.5], "opt_kpeaks": [13.0, 28.0], "opt_delays": [0, 25]}
FIT = {"passive": [{"ra": 100.0, "cm": [{"section": "soma", "cm": 1.0}], "e_pas": -70.0}],
       "conditions": [{"celsius": 34.0, "erev": [{"section": "soma", "ek": -90.0, "ena": 50.0}], "v_init": -70.0}],
       "genome": [{"section": "soma", "name": "g_pas", "value": 1e-4, "mechanism": ""}]}
SYNAPSE = {"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0}
SWC = """# soma, a dendrite and an axon
1 1 0 0 0 5 -1
2 3 0 10 0 1 1
3 3 0 20 0 0.8 2
4 2 0 -10 0 0.5 1
5 2 0 -20 0 0.5 4
"""
SCRIPT = """from simlib.builder import NetworkBuilder


def build_network(output_dir, seed, n=3):
    net = NetworkBuilder("net", seed=seed)
    net.add_nodes(N=n, pop_name="exc", model_type="biophysical")
    net.build()
    net.save(output_dir=output_dir)
"""


def _network(folder: Path, compression) -> None:
    from simlib.builder import NetworkBuilder
    from simlib.sonata.circuit import write_circuit_config

    net = NetworkBuilder("net", seed=1)
    net.add_nodes(N=4, x=np.arange(4.0), label=["a", "b", "c", "d"], pop_name="exc", ei="e", model_type="biophysical",
                  model_template="ctdb:Biophys1.hoc", dynamics_params="fit.json", morphology="cell.swc")
    net.add_nodes(N=2, pop_name="inh", ei="i", model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                  dynamics_params="fit.json", morphology="cell.swc")
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=2, syn_weight=1e-3, delay=2.0,
                  target_sections=["somatic"], distance_range=[0.0, 50.0], model_template="exp2syn",
                  dynamics_params="syn.json")
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1, syn_weight=2e-3, delay=2.0,
                  target_sections=["somatic"], distance_range=[0.0, 50.0], model_template="exp2syn",
                  dynamics_params="syn.json")
    net.build()
    net.save(output_dir=str(folder), compression=compression)
    write_circuit_config(folder)


def _lgn(folder: Path) -> None:
    from simlib.builder import NetworkBuilder
    from simlib.sonata.circuit import write_circuit_config

    lgn = NetworkBuilder("LGN")
    lgn.add_nodes(N=2, model_type="virtual", model_template="lgnmodel:sON_TF8", dynamics_params="sON_TF8.json",
                  x=[10.0, 20.0], y=[10.0, 12.0], spatial_size=2.0, spont_fr=2.0)
    lgn.build()
    lgn.save(output_dir=str(folder))
    write_circuit_config(folder)


def _filternet_config(path: Path, lgn: Path, filters: Path, movie: Path) -> None:
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "run": {"tstop": 100.0, "dt": 1.0},
        "target_simulator": "LGNModel",
        "inputs": {"LGN_spikes": {"input_type": "movie", "module": "movie", "data_file": str(movie),
                                  "frame_rate": 1000.0}},
        "output": {"output_dir": "$OUTPUT_DIR", "log_file": "log.txt", "rates_csv": "rates.csv",
                   "spikes_file": "spikes.h5", "overwrite_output_dir": True},
        "components": {"filter_models_dir": str(filters)},
        "networks": {"nodes": [{"nodes_file": str(lgn / "LGN_nodes.h5"),
                                "node_types_file": str(lgn / "LGN_node_types.csv")}]},
    }
    path.write_text(json.dumps(config, indent=2))


def _bionet_config(path: Path, network: Path, components: Path) -> None:
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "run": {"tstop": 50.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": {},
        "output": {"output_dir": "$OUTPUT_DIR", "log_file": "log.txt", "spikes_file": "spikes.h5"},
        "components": {key: str(components / key) for key in
                       ("morphologies_dir", "biophysical_neuron_models_dir", "synaptic_models_dir")},
        "networks": {"nodes": [{"nodes_file": str(network / "net_nodes.h5"),
                                "node_types_file": str(network / "net_node_types.csv")}],
                     "edges": [{"edges_file": str(network / "net_net_edges.h5"),
                                "edge_types_file": str(network / "net_net_edge_types.csv")}]},
    }
    path.write_text(json.dumps(config, indent=2))


def _ecephys(path: Path) -> None:
    """The NWB tables read_units reads (Allen ecephys layout), written with h5py."""
    with h5py.File(path, "w") as h5:
        el = h5.create_group("general/extracellular_ephys/electrodes")
        el["id"] = np.array([10, 11, 12], dtype=np.int64)
        el["location"] = np.array([b"VISp", b"VISp", b"CA1"])
        units = h5.create_group("units")
        units["id"] = np.array([1, 2], dtype=np.int64)
        units["spike_times"] = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
        units["spike_times_index"] = np.array([3, 5], dtype=np.int64)
        units["peak_channel_id"] = np.array([10, 12], dtype=np.int64)


def build_base(root: Path) -> Base:
    """Write one valid copy of every input into `root` (a few kB each)."""
    from simlib.sonata.ecp import Electrodes, EcpWriter, write_electrodes
    from simlib.spikes import SpikeTrains

    base = Base(root)
    f = base.files
    network = root / "network"
    _network(network, "gzip")
    raw = root / "network_raw"                    # uncompressed: data bytes at known offsets
    _network(raw, "none")
    f.update(network=network, circuit=network / "circuit_config.json", nodes=network / "net_nodes.h5",
             node_types=network / "net_node_types.csv", edges=network / "net_net_edges.h5",
             edge_types=network / "net_net_edge_types.csv", raw_nodes=raw / "net_nodes.h5",
             raw_edges=raw / "net_net_edges.h5")

    trains = SpikeTrains(population="net")
    trains.add_spikes([0, 1, 2, 1, 5], [5.0, 10.0, 12.5, 30.0, 41.0])
    f["spikes_h5"] = root / "spikes.h5"
    trains.to_sonata(f["spikes_h5"])
    f["spikes_csv"] = root / "spikes.csv"
    trains.to_csv(f["spikes_csv"])
    f["spikes_nwb"] = root / "spikes.nwb"
    trains.to_nwb(f["spikes_nwb"])

    components = root / "components"
    for sub in ("morphologies_dir", "biophysical_neuron_models_dir", "synaptic_models_dir", "filter_models_dir"):
        (components / sub).mkdir(parents=True)
    f.update(components=components, swc=components / "morphologies_dir" / "cell.swc",
             fit=components / "biophysical_neuron_models_dir" / "fit.json",
             synapse=components / "synaptic_models_dir" / "syn.json",
             filter=components / "filter_models_dir" / "sON_TF8.json")
    f["swc"].write_text(SWC)
    f["fit"].write_text(json.dumps(FIT))
    f["synapse"].write_text(json.dumps(SYNAPSE))
    f["filter"].write_text(json.dumps(FILTER))

    f["movie"] = root / "movie.npy"
    np.save(f["movie"], np.zeros((200, 30, 40)) + (np.arange(200) >= 50)[:, None, None] * 0.5)
    lgn = root / "lgn"
    _lgn(lgn)
    f.update(lgn=lgn, lgn_nodes=lgn / "LGN_nodes.h5", lgn_node_types=lgn / "LGN_node_types.csv",
             filternet_config=root / "filternet" / "config.json")
    f["filternet_config"].parent.mkdir()
    _filternet_config(f["filternet_config"], lgn, components / "filter_models_dir", f["movie"])
    f["bionet_config"] = root / "bionet" / "config.json"
    f["bionet_config"].parent.mkdir()
    _bionet_config(f["bionet_config"], network, components)

    f["electrodes"] = root / "electrodes.csv"
    sites = Electrodes(np.arange(3, dtype=np.int64), np.array([[0.0, y, 0.0] for y in (0.0, 50.0, 100.0)]))
    write_electrodes(f["electrodes"], sites.channel_ids, sites.positions_um)
    f["ecp"] = root / "ecp.h5"
    with EcpWriter(f["ecp"], sites, 0.0, 10.0, 1.0) as writer:
        writer.append(np.sin(np.arange(30.0)).reshape(10, 3))
    f["ecp_bmtk"] = root / "ecp_bmtk.h5"          # BMTK's layout: no positions, the CSV gives them
    shutil.copy(f["ecp"], f["ecp_bmtk"])
    with h5py.File(f["ecp_bmtk"], "r+") as h5:
        del h5["ecp/electrode_positions"]

    f["ecephys"] = root / "session.nwb"
    _ecephys(f["ecephys"])
    f["script"] = root / "build.py"
    f["script"].write_text(SCRIPT)
    return base


# --- byte-level damage --------------------------------------------------------------------------

def copy(src: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / (name or src.name)
    shutil.copy(src, dst)
    return dst


def truncate(path: Path, fraction: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def flip(path: Path, offset: int, mask: int = 0xFF) -> Path:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)[0]
        fh.seek(offset)
        fh.write(bytes([byte ^ mask]))
    return path


def chunk_offset(path: Path, dataset: str) -> int:
    """Byte offset of the middle of the first (compressed) chunk of `dataset`."""
    with h5py.File(path, "r") as h5:
        info = h5[dataset].id.get_chunk_info(0)
    return info.byte_offset + info.size // 2


def value_offset(path: Path, dataset: str, index: int) -> int:
    """Byte offset of the most significant byte of element `index` of a contiguous (uncompressed) dataset."""
    with h5py.File(path, "r") as h5:
        ds = h5[dataset]
        return ds.id.get_offset() + (index + 1) * ds.dtype.itemsize - 1


def edit_h5(path: Path, change: Callable[[h5py.File], None]) -> Path:
    with h5py.File(path, "r+") as h5:
        change(h5)
    return path


def replace(name: str, data=None, attrs: dict | None = None):
    """An edit that puts `data` (None: nothing) where dataset `name` was; attributes as given."""
    def change(h5):
        old_attrs = dict(h5[name].attrs) if name in h5 else {}
        if name in h5:
            del h5[name]
        if data is not None:
            h5[name] = data
            for key, value in (old_attrs if attrs is None else attrs).items():
                h5[name].attrs[key] = value
    return change


def delete_attr(name: str, attr: str):
    def change(h5):
        del h5[name].attrs[attr]
    return change


def sentinel(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(SENTINEL)
    return path


# --- SONATA networks: nodes / edges h5, types CSVs, circuit configs -------------------------------

NODES = "/nodes/net"
EDGES = "/edges/net_to_net"
NODE_DATASETS = ("node_type_id", "node_group_id", "node_group_index", "node_id", "0/x", "0/label")
EDGE_DATASETS = ("source_node_id", "target_node_id", "edge_type_id", "edge_group_id", "edge_group_index", "0/nsyns")
INDEX_DATASETS = tuple(f"indices/{side}/{table}" for side in ("source_to_target", "target_to_source")
                       for table in ("node_id_to_range", "range_to_edge_id"))
TRUNCATIONS = (0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)


def write_circuit(base: Base, folder: Path, **files) -> Path:
    """A circuit config in `folder` naming the base network's files, `files` replacing some of them."""
    paths = {key: str(files.get(key, getattr(base, key))) for key in ("nodes", "node_types", "edges", "edge_types")}
    config = {"networks": {"nodes": [{"nodes_file": paths["nodes"], "node_types_file": paths["node_types"]}],
                           "edges": [{"edges_file": paths["edges"], "edge_types_file": paths["edge_types"]}]}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "circuit_config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def network_run(base: Base, folder: Path, culprit: Path, says=(), **files) -> Run:
    return Run(culprit, ["network-info", str(write_circuit(base, folder, **files))], says=tuple(says))


def _h5_case(kind: str, damage: Callable[[Path], object], says=(), raw: bool = False) -> Callable:
    """A case damaging a copy of the base's `kind` file ('nodes' or 'edges')."""
    def make(base: Base, folder: Path) -> Run:
        path = copy(getattr(base, f"raw_{kind}" if raw else kind), folder)
        damage(path)
        return network_run(base, folder, path, says, **{kind: path})
    return make


def _lengths(h5, name: str, n: int):
    return replace(name, h5[name][()][:n])(h5)


def nodes_cases() -> list[Case]:
    cases = [Case(f"nodes/truncated-{f:g}", _h5_case("nodes", lambda p, f=f: truncate(p, f))) for f in TRUNCATIONS]
    cases += [Case(f"nodes/chunk-flip/{d}", _h5_case("nodes", lambda p, d=d: flip(p, chunk_offset(p, f"{NODES}/{d}")),
                                                     says=[f"{NODES}/{d}"])) for d in NODE_DATASETS]
    cases += [Case(f"nodes/value-flip/{d}", _h5_case("nodes", lambda p, d=d: flip(p, value_offset(p, f"{NODES}/{d}", 1),
                                                                                   0x40), raw=True))
              for d in ("node_type_id", "node_group_id", "node_group_index")]
    for d in ("node_type_id", "node_group_id", "node_group_index"):
        cases.append(Case(f"nodes/missing/{d}", _h5_case("nodes", lambda p, d=d: edit_h5(p, replace(f"{NODES}/{d}")),
                                                         says=[d])))
    for group in ("/nodes", NODES):
        cases.append(Case(f"nodes/missing-group{group}", _h5_case("nodes", lambda p, g=group: edit_h5(p, replace(g)))))
    bad_values = {
        "strings": lambda n: np.array([b"a"] * n), "floats": lambda n: np.linspace(0.5, 3.5, n),
        "negative": lambda n: -np.ones(n, dtype=np.int64), "2-D": lambda n: np.zeros((n, 2), dtype=np.uint64),
        "scalar": lambda n: np.uint64(0), "short": lambda n: np.zeros(n - 2, dtype=np.uint64),
        "nan": lambda n: np.full(n, np.nan), "bool": lambda n: np.ones(n, dtype=bool)}
    for d in ("node_type_id", "node_group_id", "node_group_index", "node_id"):
        for what, values in bad_values.items():
            if d == "node_group_id" and what == "bool":
                continue     # True is group 1: also wrong, but the same case as 'negative'
            cases.append(Case(f"nodes/dtype/{d}/{what}",
                              _h5_case("nodes", lambda p, d=d, v=values: edit_h5(p, replace(f"{NODES}/{d}", v(6))),
                                       says=[d])))
    cases += [
        Case("nodes/duplicate-node-id", _h5_case("nodes", lambda p: edit_h5(
            p, replace(f"{NODES}/node_id", np.array([0, 1, 2, 3, 4, 4], dtype=np.uint64))), says=["node_id"])),
        Case("nodes/group-index-past-end", _h5_case("nodes", lambda p: edit_h5(
            p, replace(f"{NODES}/node_group_index", np.array([0, 1, 2, 9, 0, 1], dtype=np.uint64))),
            says=["node_group_index"])),
        Case("nodes/group-short-column", _h5_case("nodes", lambda p: edit_h5(p, lambda h5: _lengths(h5, f"{NODES}/0/x", 2)),
                                                  says=["0/x"])),
        Case("nodes/group-missing", _h5_case("nodes", lambda p: edit_h5(p, replace(f"{NODES}/0")))),
        Case("nodes/group-as-dataset", _h5_case("nodes", lambda p: edit_h5(p, replace(f"{NODES}/0", np.zeros(3))))),
        Case("nodes/population-as-dataset", _h5_case("nodes", lambda p: edit_h5(p, replace(NODES, np.zeros(3))))),
        Case("nodes/type-id-not-in-table", _h5_case("nodes", lambda p: edit_h5(
            p, replace(f"{NODES}/node_type_id", np.array([100, 100, 100, 100, 101, 7], dtype=np.uint64))),
            says=["node_type_id"])),
        Case("nodes/empty-population", _h5_case("nodes", lambda p: edit_h5(p, _empty_nodes))),
        Case("nodes/no-population", _h5_case("nodes", lambda p: edit_h5(p, lambda h5: (replace("/nodes")(h5),
                                                                                       h5.create_group("nodes"))))),
        Case("nodes/label-not-utf8", _h5_case("nodes", lambda p: edit_h5(p, _bad_utf8(f"{NODES}/0/label"))),
             ),
        Case("nodes/not-hdf5", _h5_case("nodes", lambda p: p.write_text("node_id node_type_id\n0 100\n"))),
        Case("nodes/empty-file", _h5_case("nodes", lambda p: p.write_bytes(b""))),
    ]
    return cases


def _empty_nodes(h5) -> None:
    for d in ("node_type_id", "node_group_id", "node_group_index", "node_id"):
        replace(f"{NODES}/{d}", np.zeros(0, dtype=np.uint64))(h5)
    for d in ("x", "label"):
        replace(f"{NODES}/0/{d}", np.zeros(0))(h5)


def _bad_utf8(name: str):
    def change(h5):
        del h5[name]
        h5.create_dataset(name, data=np.array([b"a\xff\xfe", b"b", b"c", b"d"], dtype=object),
                          dtype=h5py.string_dtype("utf-8"))
    return change


def edges_cases() -> list[Case]:
    cases = [Case(f"edges/truncated-{f:g}", _h5_case("edges", lambda p, f=f: truncate(p, f))) for f in TRUNCATIONS]
    cases += [Case(f"edges/chunk-flip/{d}", _h5_case("edges", lambda p, d=d: flip(p, chunk_offset(p, f"{EDGES}/{d}")),
                                                     says=[f"{EDGES}/{d}"])) for d in EDGE_DATASETS + INDEX_DATASETS]
    cases += [Case(f"edges/value-flip/{d}", _h5_case("edges", lambda p, d=d: flip(p, value_offset(p, f"{EDGES}/{d}", 3),
                                                                                   0x40), raw=True,
                                                     says=[d.split("/")[1] if "/" in d else d]))
              for d in EDGE_DATASETS[:5] + INDEX_DATASETS]
    for d in EDGE_DATASETS[:5]:
        cases.append(Case(f"edges/missing/{d}", _h5_case("edges", lambda p, d=d: edit_h5(p, replace(f"{EDGES}/{d}")),
                                                         says=[d])))
    for d in INDEX_DATASETS:     # node_id_to_range and its hard link node_id_to_ranges (the SONATA name)
        names = [f"{EDGES}/{d}"] + ([f"{EDGES}/{d}s"] if d.endswith("range") else [])
        cases.append(Case(f"edges/missing/{d}", _h5_case("edges", lambda p, n=names: [edit_h5(p, replace(x)) for x in n],
                                                         says=[d.rsplit("/", 1)[0]])))
    for group in ("/edges", EDGES, f"{EDGES}/0"):
        cases.append(Case(f"edges/missing-group{group}", _h5_case("edges", lambda p, g=group: edit_h5(p, replace(g)))))
    for d in ("source_node_id", "target_node_id"):
        cases.append(Case(f"edges/missing-attr/{d}.node_population",
                          _h5_case("edges", lambda p, d=d: edit_h5(p, delete_attr(f"{EDGES}/{d}", "node_population")),
                                   says=[d, "node_population"])))
        cases.append(Case(f"edges/unknown-node-population/{d}",
                          _h5_case("edges", lambda p, d=d: edit_h5(p, lambda h5: h5[f"{EDGES}/{d}"].attrs.__setitem__(
                              "node_population", "V9")), says=["V9"])))
    bad_values = {
        "strings": lambda n: np.array([b"a"] * n), "floats": lambda n: np.linspace(0.5, 3.5, n),
        "negative": lambda n: -np.ones(n, dtype=np.int64), "2-D": lambda n: np.zeros((n, 2), dtype=np.uint64),
        "scalar": lambda n: np.uint64(0), "short": lambda n: np.zeros(n - 2, dtype=np.uint64),
        "out-of-range": lambda n: np.full(n, 99, dtype=np.uint64), "nan": lambda n: np.full(n, np.nan)}
    for d in EDGE_DATASETS[:5]:
        for what, values in bad_values.items():
            cases.append(Case(f"edges/dtype/{d}/{what}",
                              _h5_case("edges", lambda p, d=d, v=values: edit_h5(p, replace(f"{EDGES}/{d}", v(16))),
                                       says=[d])))
    shifted = {"plus-one": lambda a: a + 1, "reversed": lambda a: a[::-1].copy(), "short": lambda a: a[:-1],
               "zeros": lambda a: np.zeros_like(a), "huge": lambda a: a + (1 << 40), "1-D": lambda a: a[:, 0].copy(),
               "floats": lambda a: a.astype(float) + 0.5}
    for d in INDEX_DATASETS:
        for what, change in shifted.items():
            cases.append(Case(f"edges/index/{d}/{what}", _h5_case(
                "edges", lambda p, d=d, c=change: edit_h5(p, lambda h5: replace(f"{EDGES}/{d}", c(h5[f"{EDGES}/{d}"][()]))(
                    h5)), says=[d.rsplit("/", 1)[0]])))
    cases += [
        Case("edges/empty-file", _h5_case("edges", lambda p: p.write_bytes(b""))),
        Case("edges/not-hdf5", _h5_case("edges", lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4))),
        Case("edges/no-population", _h5_case("edges", lambda p: edit_h5(p, lambda h5: (replace("/edges")(h5),
                                                                                       h5.create_group("edges"))))),
        Case("edges/group-index-past-end", _h5_case("edges", lambda p: edit_h5(
            p, lambda h5: replace(f"{EDGES}/edge_group_index", h5[f"{EDGES}/edge_group_index"][()] + 5)(h5)),
            says=["edge_group_index"])),
        Case("edges/type-id-not-in-table", _h5_case("edges", lambda p: edit_h5(
            p, lambda h5: replace(f"{EDGES}/edge_type_id", h5[f"{EDGES}/edge_type_id"][()] + 7)(h5)),
            says=["edge_type_id"])),
    ]
    return cases


def _types_case(kind: str, damage: Callable[[Path], object], says=()) -> Callable:
    """A case damaging a copy of the base's `kind` types table ('node_types' or 'edge_types')."""
    def make(base: Base, folder: Path) -> Run:
        path = copy(getattr(base, kind), folder)
        damage(path)
        return network_run(base, folder, path, says, **{kind: path})
    return make


def _rewrite(change: Callable[[str], str]):
    return lambda p: p.write_text(change(p.read_text()))


def types_cases() -> list[Case]:
    cases = []
    for kind, id_column in (("node_types", "node_type_id"), ("edge_types", "edge_type_id")):
        lines = lambda text: text.splitlines(keepends=True)
        damages = {
            "missing-id-column": (_rewrite(lambda t, c=id_column: t.replace(c, "type_id", 1)), [id_column]),
            "duplicate-ids": (_rewrite(lambda t: t.replace("\n101 ", "\n100 ")), [id_column, "100"]),
            "comma-separated": (_rewrite(lambda t: t.replace(" ", ",")), [id_column]),
            "tab-separated": (_rewrite(lambda t: t.replace(" ", "\t")), [id_column]),
            "semicolon-separated": (_rewrite(lambda t: t.replace(" ", ";")), [id_column]),
            "id-not-integer": (_rewrite(lambda t: t.replace("\n101 ", "\nabc ")), [id_column, "abc"]),
            "id-float": (_rewrite(lambda t: t.replace("\n101 ", "\n101.5 ")), [id_column]),
            "row-too-long": (_rewrite(lambda t: t.rstrip("\n") + " extra cells\n"), ["line 3"]),
            "header-only": (_rewrite(lambda t: lines(t)[0]), [id_column]),
            "empty": (lambda p: p.write_bytes(b""), []),
            "binary": (lambda p: p.write_bytes(bytes(range(256))), []),
            "not-utf8": (_rewrite_bytes(lambda b: b.replace(b"exp2syn", b"exp\xff\xfesyn").replace(b"exc", b"e\xffc")),
                         []),
            "unbalanced-quote": (_rewrite(lambda t: t + '102 "never closed\nx\n'), ["line 4"]),
            "nul-bytes": (_rewrite_bytes(lambda b: b.replace(b"\n101", b"\n1\x0001")), []),
            "repeated-column": (_rewrite(lambda t, c=id_column: t.replace("model_type", c, 1).replace(
                "target_query", c, 1)), []),
            "missing-type": (_rewrite(lambda t: "".join(lines(t)[:2])), ["101"]),
            "huge-id": (_rewrite(lambda t: t.replace("\n101 ", "\n99999999999999999999999 ")), [id_column]),
        }
        for what, (damage, says) in damages.items():
            cases.append(Case(f"{kind}/{what}", _types_case(kind, damage, says)))
        cases.append(Case(f"{kind}/is-a-folder", lambda base, folder, k=kind: network_run(
            base, folder, folder / "types", **{k: _mkdir(folder / "types")})))
    return cases


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _rewrite_bytes(change: Callable[[bytes], bytes]):
    return lambda p: p.write_bytes(change(p.read_bytes()))


def _circuit_case(edit: Callable[[dict, Base, Path], object], says=(), raw_text: Callable | None = None) -> Callable:
    """A case editing a circuit config (as a dict, or as text with `raw_text`)."""
    def make(base: Base, folder: Path) -> Run:
        path = write_circuit(base, folder)
        if raw_text is not None:
            raw_text(path, base, folder)
        else:
            config = json.loads(path.read_text())
            config = edit(config, base, folder) or config
            path.write_text(json.dumps(config))
        return Run(path, ["network-info", str(path)], says=tuple(says))
    return make


def _set(keys: str, value):
    def edit(config, base, folder):
        node = config
        parts = keys.split(".")
        for key in parts[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[parts[-1]]
        elif isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    return edit


_DELETE = object()


def circuit_cases() -> list[Case]:
    cases = [
        Case("circuit/invalid-json", _circuit_case(None, ["line"], raw_text=lambda p, b, f: truncate(p, 0.5))),
        Case("circuit/empty", _circuit_case(None, raw_text=lambda p, b, f: p.write_text(""))),
        Case("circuit/top-level-list", _circuit_case(lambda c, b, f: [c], ["object"])),
        Case("circuit/not-utf8", _circuit_case(None, raw_text=lambda p, b, f: p.write_bytes(b'{"networks": "\xff"}'))),
        Case("circuit/hdf5-given", lambda base, folder: Run(copy(base.nodes, folder), ["network-info",
                                                                                        str(copy(base.nodes, folder))])),
        Case("circuit/swc-given", lambda base, folder: Run(base.swc, ["network-info", str(base.swc)])),
        Case("circuit/missing-file", lambda base, folder: Run(folder / "nope.json", ["network-info",
                                                                                      str(folder / "nope.json")])),
        Case("circuit/folder-given", lambda base, folder: Run(folder, ["network-info", str(_mkdir(folder))])),
        Case("circuit/unknown-top-key", _circuit_case(lambda c, b, f: {"netwroks": c["networks"]}, ["networks"])),
        Case("circuit/networks-list", _circuit_case(_set("networks", []), ["networks"])),
        Case("circuit/networks-string", _circuit_case(_set("networks", "all"), ["networks"])),
        Case("circuit/nodes-not-list", _circuit_case(_set("networks.nodes", {"a": 1}), ["networks.nodes"])),
        Case("circuit/nodes-string", _circuit_case(_set("networks.nodes", "net_nodes.h5"), ["networks.nodes"])),
        Case("circuit/nodes-entry-string", _circuit_case(_set("networks.nodes.0", "net_nodes.h5"), ["networks.nodes[0]"])),
        Case("circuit/edges-entry-null", _circuit_case(_set("networks.edges.0", None), ["networks.edges[0]"])),
        Case("circuit/no-nodes", _circuit_case(_set("networks.nodes", []), ["networks.nodes"])),
        Case("circuit/unknown-entry-key", _circuit_case(lambda c, b, f: c["networks"]["nodes"][0].update(
            node_file=c["networks"]["nodes"][0].pop("nodes_file")), ["nodes_file"])),
        Case("circuit/null-manifest", _circuit_case(_set("manifest", None), ["manifest"])),
        Case("circuit/manifest-list", _circuit_case(_set("manifest", ["$A"]), ["manifest"])),
        Case("circuit/manifest-cycle", _circuit_case(_manifest({"$A": "$B/x", "$B": "$A/y"}, "$A/net_nodes.h5"),
                                                     ["manifest", "circular"])),
        Case("circuit/manifest-self", _circuit_case(_manifest({"$A": "${A}/x"}, "$A/net_nodes.h5"), ["manifest"])),
        Case("circuit/manifest-unknown-variable", _circuit_case(_manifest({"$A": "/tmp"}, "$NETWORK_DIR/net_nodes.h5"),
                                                                ["NETWORK_DIR"])),
        Case("circuit/manifest-value-number", _circuit_case(_manifest({"$A": 3}, "$A/net_nodes.h5"), ["nodes_file"])),
    ]
    for key in ("nodes_file", "node_types_file", "edges_file", "edge_types_file"):
        kind = "nodes" if key.startswith("node") else "edges"
        cases += [
            Case(f"circuit/{key}/missing-key", _circuit_case(_set(f"networks.{kind}.0.{key}", _DELETE), [key])),
            Case(f"circuit/{key}/number", _circuit_case(_set(f"networks.{kind}.0.{key}", 3), [key])),
            Case(f"circuit/{key}/empty-string", _circuit_case(_set(f"networks.{kind}.0.{key}", ""), [key])),
            Case(f"circuit/{key}/list", _circuit_case(_set(f"networks.{kind}.0.{key}", ["a.h5"]), [key])),
            Case(f"circuit/{key}/file-missing", _missing_file_case(kind, key)),
        ]
    return cases


def _manifest(manifest: dict, nodes_file: str):
    def edit(config, base, folder):
        config["manifest"] = manifest
        config["networks"]["nodes"][0]["nodes_file"] = nodes_file
    return edit


def _missing_file_case(kind: str, key: str) -> Callable:
    def make(base: Base, folder: Path) -> Run:
        path = write_circuit(base, folder)
        config = json.loads(path.read_text())
        config["networks"][kind][0][key] = str(folder / "gone" / f"{key}.h5")
        path.write_text(json.dumps(config))
        return Run(folder / "gone" / f"{key}.h5", ["network-info", str(path)])
    return make


# --- the promise every case checks ----------------------------------------------------------------

def run_case(run: Run, capsys) -> str:
    """Run one case in this process; check exit status 1, one message naming the culprit, outputs untouched.

    Returns the message (without the ``simlib: error:`` prefix).
    """
    from simlib.cli import main
    from simlib.errors import SimlibError

    before = {p: p.read_bytes() for p in run.outputs}
    listings = {p.parent: sorted(p.parent.iterdir()) for p in run.outputs}
    capsys.readouterr()
    if run.argv is not None:
        status = main(run.argv)
        err = capsys.readouterr().err
        assert status == 1, f"exit status {status}; stderr: {err}"
    else:
        try:
            run.call()
        except SimlibError as exc:
            err = f"simlib: error: {exc}\n"
        else:
            raise AssertionError(f"no error from a library call on {run.culprit}")
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert lines and lines[0].startswith("simlib: error: "), f"expected one message, got:\n{err}"
    # one line, or one line per problem of the same file (config checks list every problem)
    message = "\n".join(lines).removeprefix("simlib: error: ")
    assert all(str(run.culprit) in line for line in message.splitlines()), \
        f"message does not name {run.culprit} on each line: {message}"
    for text in run.says:
        assert text in message, f"message does not say {text!r}: {message}"
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} was replaced"
    for folder, listing in listings.items():
        assert sorted(folder.iterdir()) == listing, f"new files in {folder}: {sorted(folder.iterdir())}"
    return message
