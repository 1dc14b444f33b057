"""The mouse V1 layer-4 toy network of the BMTK tutorial (300 V1 cells + 100 LGN), vectorised."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simlib.builder import NetworkBuilder, vectorized
from simlib.errors import ConfigError

# (pop_name, N at scale 1, ei, fit file, morphology, rotation about z) as in the tutorial
V1_CELL_TYPES = [
    ("Scnn1a", 80, "e", "472363762_fit.json", "Scnn1a_473845048_m.swc", -3.646878266),
    ("Rorb", 80, "e", "473863510_fit.json", "Rorb_325404214_m.swc", -4.159763785),
    ("Nr5a1", 80, "e", "473863035_fit.json", "Nr5a1_471087815_m.swc", -4.159763785),
    ("PV1", 60, "i", "472912177_fit.json", "Pvalb_470522102_m.swc", -2.539551891),
]
LGN_CELL_TYPES = [("sOFF_TF8", 50), ("sON_TF8", 50)]
# FilterNet needs a spontaneous rate per LGN cell; BMTK takes it from experimental tables shipped in its
# package when the node has none. Ours: a few Hz, as mouse dLGN cells fire in darkness (Durand et al. 2016).
LGN_SPONT_FR_HZ = {"sOFF_TF8": 5.0, "sON_TF8": 5.0}


@vectorized
def ignore_autapses(src, trg, rng):
    """i→i: no autapses, otherwise 1–4 synapses uniformly (the tutorial's rule, on arrays)."""
    n = rng.integers(1, 5, size=len(src))
    return np.where(src["node_id"] == trg["node_id"], 0, n)


@vectorized
def tuning_angle(src, trg, rng, max_syns):
    """e→e: binomial(max_syns, p) with p falling with the tuning-angle difference (tutorial rule)."""
    dist = np.abs((src["tuning_angle"] - trg["tuning_angle"] + 180.0) % 360.0 - 180.0)
    p = 1.0 - np.maximum(dist, 10.0) / 180.0
    # Binomial(max_syns, p) as a sum of Bernoulli draws: the same distribution, 3x faster than
    # numpy's binomial with a different p per pair
    n = (rng.random((max_syns, p.size), dtype=np.float32) < p.astype(np.float32)).sum(axis=0, dtype=np.uint8)
    return np.where(src["node_id"] == trg["node_id"], 0, n)


@vectorized
def random_0_4(src, trg, rng):
    """LGN→V1: 0–4 synapses uniformly per pair."""
    return rng.integers(0, 5, size=len(src))


def l4_networks(seed: int, scale: float = 1.0) -> tuple[NetworkBuilder, NetworkBuilder]:
    """Describe the tutorial's V1 and LGN networks (not yet built).

    Parameters
    ----------
    seed : seed of node placement and of every connection rule.
    scale : multiplies every cell count (1 → 300 V1 + 100 LGN cells).
    """
    if not scale > 0:
        raise ConfigError(f"l4_tutorial: scale must be > 0, got {scale!r}")
    rng = np.random.default_rng([seed, 0])
    v1 = NetworkBuilder("V1", seed=seed)
    for pop_name, n, ei, fit, morph, rot_z in V1_CELL_TYPES:
        n = max(1, int(round(n * scale)))
        props = dict(
            model_type="biophysical", model_template="ctdb:Biophys1.hoc", dynamics_params=fit,
            morphology=morph, model_processing="aibs_perisomatic",
            x=rng.normal(0.0, 20.0, size=n), y=rng.uniform(400.0, 500.0, size=n), z=rng.normal(0.0, 20.0, size=n),
            rotation_angle_xaxis=rng.uniform(0.0, 2 * np.pi, size=n),
            rotation_angle_yaxis=rng.uniform(0.0, 2 * np.pi, size=n),
            rotation_angle_zaxis=rot_z, pop_name=pop_name, location="L4", ei=ei)
        if ei == "e":
            props["tuning_angle"] = np.linspace(0.0, 360.0, n, endpoint=False)
        v1.add_nodes(N=n, **props)

    common = dict(delay=2.0, model_template="exp2syn")
    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1, syn_weight=0.0006,
                 dynamics_params="ExcToInh.json", target_sections=["somatic", "basal"],
                 distance_range=[0.0, 1.0e20], **common)
    v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1, syn_weight=0.0002,
                 dynamics_params="InhToExc.json", target_sections=["somatic", "basal", "apical"],
                 distance_range=[0.0, 50.0], **common)
    v1.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=ignore_autapses, syn_weight=0.00015,
                 dynamics_params="InhToInh.json", target_sections=["somatic", "basal"],
                 distance_range=[0.0, 1.0e20], **common)
    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=tuning_angle,
                 connection_params={"max_syns": 5}, syn_weight=3.0e-05, dynamics_params="ExcToExc.json",
                 target_sections=["basal", "apical"], distance_range=[30.0, 150.0],
                 weight_function="set_syn_weight", **common)

    lgn = NetworkBuilder("LGN", seed=seed + 1)
    for template, n in LGN_CELL_TYPES:
        n = max(1, int(round(n * scale)))
        lgn.add_nodes(N=n, model_type="virtual", model_template=f"lgnmodel:{template}",
                      dynamics_params=f"{template}.json", x=rng.uniform(0.0, 240.0, n),
                      y=rng.uniform(0.0, 120.0, n), spatial_size=1.0, spont_fr=LGN_SPONT_FR_HZ[template])
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e"), connection_rule=random_0_4, syn_weight=0.0003,
                  dynamics_params="LGN_ExcToExc.json", target_sections=["basal", "apical", "somatic"],
                  distance_range=[0.0, 50.0], **common)
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="i"), connection_rule=random_0_4, syn_weight=0.002,
                  dynamics_params="LGN_ExcToInh.json", target_sections=["basal", "apical"],
                  distance_range=[0.0, 1.0e20], **common)
    return v1, lgn


def virtual_input_network(v1: NetworkBuilder, name: str, n, seed: int) -> NetworkBuilder:
    """A population of virtual cells named ``name`` that drives V1 as the LGN does (0-4 synapses
    per pair onto every V1 cell), as the advanced-inputs tutorial's extra input networks (``inputs``,
    ``VISl``, ``hippocampus``).

    ``n`` is the number of cells, or ``{"cells": n, "syn_weight_scale": s}``: the LGN's synaptic
    weights times ``s`` (default 1), so that a few input cells can drive V1 as a hundred LGN cells do.
    """
    where = f"l4_tutorial: virtual_inputs.{name}"
    scale = 1.0
    if isinstance(n, dict):
        unknown = sorted(set(n) - {"cells", "syn_weight_scale"})
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; expected 'cells' and 'syn_weight_scale'")
        scale = n.get("syn_weight_scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ConfigError(f"{where}.syn_weight_scale: expected a number > 0, got {scale!r}")
        n = n.get("cells")
    if isinstance(n, bool) or not (isinstance(n, int) and n > 0):
        raise ConfigError(f"{where}: expected a number of cells > 0, got {n!r}")
    net = NetworkBuilder(name, seed=seed)
    net.add_nodes(N=n, model_type="virtual", pop_name=name, ei="e")
    common = dict(delay=2.0, model_template="exp2syn")
    net.add_edges(source=net.nodes(), target=v1.nodes(ei="e"), connection_rule=random_0_4,
                  syn_weight=0.0003 * scale, dynamics_params="LGN_ExcToExc.json",
                  target_sections=["basal", "apical", "somatic"], distance_range=[0.0, 50.0], **common)
    net.add_edges(source=net.nodes(), target=v1.nodes(ei="i"), connection_rule=random_0_4,
                  syn_weight=0.002 * scale, dynamics_params="LGN_ExcToInh.json",
                  target_sections=["basal", "apical"], distance_range=[0.0, 1.0e20], **common)
    return net


def build_l4(output_dir, seed: int, scale: float = 1.0, compression="gzip",
             virtual_inputs: dict | None = None) -> list[str]:
    """Build and save the tutorial's V1 + LGN networks into `output_dir`; returns the file names.

    ``virtual_inputs`` (``{population name: number of cells, or {cells, syn_weight_scale}}``) adds
    further virtual populations driving V1, each with its own seed stream.
    """
    v1, lgn = l4_networks(seed, scale)
    v1.build()
    v1.save(output_dir=str(output_dir), compression=compression)
    lgn.build()
    lgn.save(output_dir=str(output_dir), compression=compression)
    for k, (name, n) in enumerate(sorted((virtual_inputs or {}).items()), start=2):
        if name in ("V1", "LGN"):
            raise ConfigError(f"l4_tutorial: virtual_inputs.{name}: the name of an existing population")
        net = virtual_input_network(v1, name, n, seed + k)
        net.build()
        net.save(output_dir=str(output_dir), compression=compression)
    return sorted(p.name for p in Path(output_dir).iterdir() if p.suffix in (".h5", ".csv"))
