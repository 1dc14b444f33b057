"""Shared fixtures: small networks built in temporary folders."""

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def python() -> str:
    return sys.executable


@pytest.fixture
def small_network():
    """A 2-type network with per-node and shared properties and three edge types."""
    from simlib.builder import NetworkBuilder

    net = NetworkBuilder("net", seed=3)
    net.add_nodes(N=5, x=np.arange(5.0), label=["a", "b", "c", "d", "e"], pop_name="exc", ei="e",
                  model_type="biophysical")
    net.add_nodes(N=3, pop_name="inh", ei="i", tuning_angle=[10.0, 20.0, 30.0], model_type="biophysical")
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=2, syn_weight=1e-3,
                  target_sections=["somatic", "basal"], distance_range=[0.0, 50.0], model_template="exp2syn")
    cm = net.add_edges(source={"ei": "i"}, target={"ei": "e"},
                       connection_rule=lambda s, t: 1 + (s.node_id + t.node_id) % 2, delay=2.0)
    cm.add_properties("syn_weight", rule=lambda s, t: 0.1 * s.node_id + t.node_id, dtypes=float)
    net.add_edges(source={"ei": "e"}, target={"ei": "e"},
                  connection_rule=lambda s, t: 0 if s.node_id == t.node_id else 1, dynamics_params="e2e.json")
    return net
