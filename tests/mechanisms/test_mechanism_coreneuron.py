"""simlib's mechanisms, SpikeSource and VecStim virtual cells give the same results under NEURON and CoreNEURON."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from coreneuron_run import (
    EMPTY_GID,
    EVENT_DELAY_MS,
    EVENT_TIMES_MS,
    RELAY_GID,
    REPLAYED_GID,
    REPLAYED_TIMES_MS,
    SOURCE_GID,
    UNPLAYED_GID,
    VECSTIM_GID,
    VECSTIM_RELAY_GID,
)

pytestmark = pytest.mark.slow
DT_MS = 0.025


@pytest.fixture(scope="module")
def runs(corenrnmech, tmp_path_factory):
    out = tmp_path_factory.mktemp("coreneuron")
    script = Path(__file__).with_name("coreneuron_run.py")
    results = {}
    for mode in ("neuron", "coreneuron"):
        done = subprocess.run([sys.executable, str(script), str(corenrnmech), mode, str(out / f"{mode}.npz")],
                              cwd=out, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{mode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        results[mode] = dict(np.load(out / f"{mode}.npz"))
    return results


def spikes_of(run, gid):
    return np.sort(run["spike_t"][run["spike_gid"] == gid])


def test_every_mechanism_matches_neuron(runs):
    neuron, core = runs["neuron"], runs["coreneuron"]
    assert np.abs(neuron["v"] - core["v"]).max() < 1e-6
    assert (neuron["v"].max(axis=1) > 0).any()  # some somata spike
    for gid in set(neuron["spike_gid"].astype(int)):
        assert np.array_equal(spikes_of(neuron, gid), spikes_of(core, gid))


@pytest.mark.parametrize("mode", ["neuron", "coreneuron"])
def test_virtual_cell_fires_at_given_times(runs, mode):
    run = runs[mode]
    expected = np.sort(EVENT_TIMES_MS)
    np.testing.assert_allclose(spikes_of(run, SOURCE_GID), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(spikes_of(run, RELAY_GID), expected + EVENT_DELAY_MS, rtol=0, atol=1e-9)
    # the synapse conductance steps up in the time step that starts at each arrival time
    rises_ms = np.flatnonzero(np.diff(run["g"]) > 0) * DT_MS
    np.testing.assert_allclose(rises_ms, np.unique(expected + EVENT_DELAY_MS), rtol=0, atol=DT_MS / 2)


@pytest.mark.parametrize("mode", ["neuron", "coreneuron"])
def test_vecstim_plays_its_vector(runs, mode):
    """Our VecStim (BMTK's virtual cells): each time once, a second play() replaces the Vector, none without one."""
    run = runs[mode]
    expected = np.sort(EVENT_TIMES_MS)
    # event times are t + (time - t) in floating point, as in NEURON's own VecStim: equal within rounding
    np.testing.assert_allclose(spikes_of(run, VECSTIM_GID), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(spikes_of(run, VECSTIM_RELAY_GID), expected + EVENT_DELAY_MS, rtol=0, atol=1e-9)
    np.testing.assert_allclose(spikes_of(run, REPLAYED_GID), REPLAYED_TIMES_MS, rtol=0, atol=1e-9)
    assert spikes_of(run, EMPTY_GID).size == 0 and spikes_of(run, UNPLAYED_GID).size == 0
