"""A 50-neuron network with Poisson inputs: it runs, spikes are sorted, reruns and thread counts agree."""

import filecmp

import numpy as np
import pytest
from pnet import poisson_spikes, read_spikes, run_cli, small_network, spikes_input, write_config

from simlib.pointnet import simulate
from simlib.spikes import SpikeTrains


@pytest.fixture(scope="module")
def network(tmp_path_factory, components):
    root = tmp_path_factory.mktemp("pointnet_network")
    net = small_network(root / "net")
    spikes = poisson_spikes(root / "lgn.h5", 100, 15.0, 0.5, seed=4)
    return root, net, spikes, components


def run(network, name, run_opts=None, **kw):
    root, net, spikes, components = network
    config = write_config(root / name / "config.json", net, components, 500.0,
                          inputs={"lgn": spikes_input(spikes)}, run=run_opts)
    result = simulate(config, **kw)
    return root / name / "output", result


def test_network_runs_and_writes_sorted_spikes(network):
    out, result = run(network, "first")
    assert result.n_cells == 50 and result.n_connections > 1000
    node_ids, times = read_spikes(out / "spikes.h5")
    assert times.size == result.n_spikes > 50
    assert np.all(np.diff(times) >= 0)
    same_time = np.flatnonzero(np.diff(times) == 0)
    assert np.all(node_ids[same_time] < node_ids[same_time + 1])   # ties by node id
    assert set(np.unique(node_ids)) <= set(range(50))
    assert np.all((times > 0) & (times <= 500.0))
    csv = SpikeTrains.load(out / "spikes.csv")
    assert csv.n_spikes("V1") == times.size
    assert (out / "log.txt").read_text().count("simulated 500.0 ms") == 1


def test_same_config_twice_gives_identical_files(network):
    out1, _ = run(network, "again1")
    out2, _ = run(network, "again2")
    assert filecmp.cmp(out1 / "spikes.csv", out2 / "spikes.csv", shallow=False)
    a, b = read_spikes(out1 / "spikes.h5"), read_spikes(out2 / "spikes.h5")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_one_and_two_threads_give_the_same_spikes(network):
    out1, r1 = run(network, "threads1", {"nthreads": 1})
    out2, r2 = run(network, "threads2", threads=2)
    assert (r1.threads, r2.threads) == (1, 2)
    ids1, t1 = read_spikes(out1 / "spikes.h5")
    ids2, t2 = read_spikes(out2 / "spikes.h5")
    assert np.array_equal(ids1, ids2) and np.array_equal(t1, t2)
    assert filecmp.cmp(out1 / "spikes.csv", out2 / "spikes.csv", shallow=False)


def test_command_line_run(network):
    """`python -m simlib pointnet CONFIG --threads 2 --seed 5`: exit 0, the files printed, the same spikes."""
    root, net, spikes, components = network
    config = write_config(root / "cli" / "config.json", net, components, 500.0, inputs={"lgn": spikes_input(spikes)})
    proc = run_cli(config, ["--threads", "2", "--seed", "5"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == [str(root / "cli" / "output" / name) for name in ("spikes.h5", "spikes.csv")]
    assert "2 thread(s), rng_seed 5" in (root / "cli" / "output" / "log.txt").read_text()
    out, _ = run(network, "cli_reference")
    assert filecmp.cmp(out / "spikes.csv", root / "cli" / "output" / "spikes.csv", shallow=False)
