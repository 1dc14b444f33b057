"""The Snakemake workflow on the tiny config, in a temporary copy of the workflow; and bad configs."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simlib.config import SimulationConfig
from simlib.sonata import read_nodes
from simlib.sonata.reports import read_compartment_report
from simlib.spikes import SpikeTrains

pytestmark = pytest.mark.workflow
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def workflow_copy(repo: Path, dest: Path) -> Path:
    for item in ("Snakefile", "rules", "scripts", "config", "envs", "examples", "report"):
        src = repo / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / item)
    return dest


def run(cwd, *args, check=True):
    proc = subprocess.run([*SNAKEMAKE, "--cores", "2", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def planned_jobs(output: str) -> set[str]:
    """Rule names in the 'Job stats' table of a dry run."""
    table = output.split("Job stats:")[1].split("total")[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip()}


def test_tiny_workflow_end_to_end(repo, tmp_path):
    wf = workflow_copy(repo, tmp_path)
    run(wf, "--configfile", "config/tiny.yaml")
    net = wf / "results/networks/l4"
    for name in ("V1_nodes.h5", "V1_node_types.csv", "V1_V1_edges.h5", "V1_V1_edge_types.csv",
                 "LGN_nodes.h5", "LGN_node_types.csv", "LGN_V1_edges.h5", "LGN_V1_edge_types.csv",
                 "circuit_config.json"):
        assert (net / name).stat().st_size > 0, name
    assert len(read_nodes(net / "V1_nodes.h5")) == 30
    h5 = SpikeTrains.load(wf / "results/inputs/lgn_poisson.h5")
    csv = SpikeTrains.load(wf / "results/inputs/lgn_poisson.csv")
    assert h5.populations == ["LGN"] and h5 == csv
    assert set(h5.node_ids("LGN")) <= set(range(10)) and len(h5.node_ids("LGN")) >= 8
    times = h5.to_dataframe()["timestamps"]
    assert times.min() >= 0 and times.max() <= 500.0
    import platform

    assert (wf / f"results/mechanisms/{platform.machine()}/libnrnmech.so").stat().st_size > 0
    comp = wf / "results/components/offline"
    for name in ("Scnn1a_473845048_m.swc", "Pvalb_470522102_m.swc"):
        assert (comp / "morphologies" / name).stat().st_size > 0
    for name in ("472363762_fit.json", "472912177_fit.json"):
        assert "genome" in (comp / "biophysical_neuron_models" / name).read_text()
    assert (comp / "synaptic_models" / "InhToExc.json").exists()
    png = wf / "results/figures/rasters/lgn_poisson.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the BioNet simulations: a BMTK-style config each, the MPI run, the figures
    sims = wf / "results/sims"
    config = SimulationConfig.from_json(sims / "l4_poisson/config.json")
    assert config.run["tstop"] == 300.0 and config.run["nsteps_block"] > 0  # bmtk needs nsteps_block
    assert Path(config.inputs["LGN_spikes"]["input_file"]).resolve() == (wf / "results/inputs/lgn_poisson.h5").resolve()
    assert "${configdir}" in (sims / "l4_poisson/config.json").read_text()  # portable paths
    assert "on 2 rank(s)" in (sims / "l4_poisson/output/log.txt").read_text()
    poisson = SpikeTrains.load(sims / "l4_poisson/output/spikes.h5")
    assert poisson.populations == ["V1"] and poisson.n_spikes() > 10
    clamped = SpikeTrains.load(sims / "l4_perturbation/output/spikes.h5")
    nr5a1 = read_nodes(net / "V1_nodes.h5", net / "V1_node_types.csv").query("pop_name == 'Nr5a1'").node_id
    during = [t for n in nr5a1 for t in clamped.get_times(n, "V1") if 110.0 < t < 300.0]
    assert not during, "the -1 nA clamp silences Nr5a1 from 100 ms"
    report = read_compartment_report(sims / "l4_poisson/output/membrane_potential.h5")
    assert report.data.shape == (3000, 8) and report.variable == "v"
    # FilterNet: the LGN's response to the 100-200 ms flash drives the l4_flash simulation
    import h5py
    with h5py.File(wf / "results/filternet/flash/output/rates.h5") as h5:
        rates = h5["firing_rates/LGN/firing_rates_Hz"][()]
    assert rates.shape[0] >= 300 and rates.shape[1] == 10
    assert np.ptp(rates[150]) > 1.0, "ON and OFF cells respond differently during the flash"
    lgn = SpikeTrains.load(wf / "results/filternet/flash/output/spikes.h5")
    assert lgn.populations == ["LGN"] and lgn.n_spikes() > 0
    flash_config = SimulationConfig.from_json(sims / "l4_flash/config.json")
    assert Path(flash_config.inputs["LGN_spikes"]["input_file"]).resolve() == (
        wf / "results/filternet/flash/output/spikes.h5").resolve()
    assert (sims / "l4_flash/output/spikes.h5").exists()
    # advanced inputs: CSV spikes of an extra virtual population, a generator function, syn_activity
    ramp = SpikeTrains.load(wf / "results/inputs/inputs_ramp.csv")
    assert [len(ramp.get_times(k, "inputs")) for k in range(3)] == [3, 6, 9]  # (k+1) * 10 Hz * 0.3 s
    assert SpikeTrains.load(sims / "csv_ramp/output/spikes.h5").n_spikes() > 0
    assert "module" in (sims / "csv_ramp/config.json").read_text() and "inputs_ramp.csv" in (
        sims / "csv_ramp/config.json").read_text()
    assert SpikeTrains.load(sims / "spikes_function/output/spikes.h5").n_spikes() > 0
    assert "syn_activity" in (sims / "syn_activity_exc_inh/config.json").read_text()
    assert (sims / "syn_activity_exc_inh/output/spikes.h5").exists()
    # the tutorial's ECP report on the offline components' linear electrode, by population
    assert (comp / "devices" / "linear_electrode.csv").read_text().startswith("channel x_pos y_pos z_pos\n")
    ecp_config = SimulationConfig.from_json(sims / "l4_ecp/config.json")
    assert Path(ecp_config.reports["ecp"]["electrode_positions"]).resolve() == (
        comp / "devices/linear_electrode.csv").resolve()
    from simlib.sonata.ecp import read_ecp

    ecp = read_ecp(sims / "l4_ecp/output/ecp.h5")
    assert ecp.data_mv.shape == (3000, 10) and np.abs(ecp.data_mv).max() > 0
    assert sorted(ecp.populations) == ["Nr5a1", "PV1", "Rorb", "Scnn1a"]
    assert np.abs(sum(ecp.populations.values()) - ecp.data_mv).max() <= 1e-12 * np.abs(ecp.data_mv).max()
    # PointNet: the point version of the L4 network (same h5 files) on the same LGN input, and the tutorial's network
    point = wf / "results/networks/l4_point"
    for name in ("V1_nodes.h5", "V1_V1_edges.h5", "LGN_V1_edges.h5"):
        assert (point / name).read_bytes() == (net / name).read_bytes()
    point_nodes = read_nodes(point / "V1_nodes.h5", point / "V1_node_types.csv")
    assert set(point_nodes["model_type"]) == {"point_process"} and set(point_nodes["model_template"]) == {"nest:glif_psc"}
    point_config = json.loads((sims / "l4_point/config.json").read_text())
    assert point_config["target_simulator"] == "NEST" and point_config["run"]["nthreads"] == 2
    assert point_config["components"]["point_neuron_models_dir"] == "${configdir}/../../components/point/point_neuron_models"
    assert "2 thread" in (sims / "l4_point/output/log.txt").read_text()
    point_spikes = SpikeTrains.load(sims / "l4_point/output/spikes.h5")
    assert point_spikes.populations == ["V1"] and point_spikes.n_spikes() > 10
    vm = read_compartment_report(sims / "l4_point/output/membrane_potential.h5")
    assert vm.variable == "V_m" and vm.data.shape == (3000, 8)
    tutorial = SpikeTrains.load(sims / "pointnet_tutorial/output/spikes.h5")
    assert len(read_nodes(wf / "results/networks/pointnet_tutorial/V1_nodes.h5")) == 80 and tutorial.n_spikes() > 0
    # PopNet: the population version of the L4 network (4 populations + LGN), its run, the three-resolution figure
    population = json.loads((sims / "l4_population/config.json").read_text())
    assert population["target_simulator"] == "DiPDE" and population["run"]["dt"] == 0.001
    assert read_nodes(wf / "results/networks/l4_population/network/V1_nodes.h5").shape[0] == 4
    pop_rates = pd.read_csv(sims / "l4_population/rates.csv")
    assert pop_rates["population"].tolist() == ["Scnn1a", "Rorb", "Nr5a1", "PV1"] and (pop_rates["mean_hz"] > 0).all()
    for png in ("l4_population/rates.png", "l4_population/resolutions.png",
                "l4_poisson/raster.png", "l4_poisson/traces.png", "l4_perturbation/raster.png", "csv_ramp/raster.png",
                "l4_flash/raster.png", "rasters/lgn_flash.png", "l4_ecp/ecp.png", "l4_ecp/lfp_csd.png",
                "l4_ecp/spectrum.png", "l4_ecp/ecp_populations.png", "l4_point/raster.png", "l4_point/traces.png",
                "l4_point/rates_comparison.png", "pointnet_tutorial/raster.png"):
        assert (wf / "results/figures" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the report: every figure and rates table, captions with the values behind them
    run(wf, "--configfile", "config/tiny.yaml", "--report", "report.html")
    html = (wf / "report.html").read_text()
    figures = sorted(p.relative_to(wf).as_posix() for p in (wf / "results/figures").rglob("*.png"))
    assert len(figures) == 25
    for png in figures:
        assert png in html, png
    assert html.count("rates.csv") >= 9 and "Measured rates (mean" in html and "not measured yet" not in html
    assert "PointNet on NEST, 2 thread(s)" in html and "lgn_poisson: 150.0 Hz Poisson for LGN" in html
    assert "PopNet (simlib's population-density solver)" in html and "One network at three resolutions" in html
    # byte-reproducible: a second run from scratch in another folder lists the same files with the same hashes
    manifest = json.loads((wf / "results/manifest.json").read_text())
    assert manifest["seeds"]["spikes.lgn_poisson.seed"] == 0 and manifest["versions"]["nest-simulator"]
    assert manifest["versions"]["isal"]   # it deflates the network files: their bytes depend on it
    assert set(figures) <= set(manifest["results"]) and "results/sims/l4_point/rates.csv" in manifest["results"]
    assert not any("log.txt" in f or f.startswith("results/mechanisms/") for f in manifest["results"])
    (tmp_path / "again").mkdir()
    again = workflow_copy(repo, tmp_path / "again")
    run(again, "--configfile", "config/tiny.yaml")
    assert (again / "results/manifest.json").read_bytes() == (wf / "results/manifest.json").read_bytes()
    # nothing left to do on a second run; a changed seed reruns only the spikes and the figure
    proc = run(wf, "--configfile", "config/tiny.yaml", "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    text = (wf / "config/tiny.yaml").read_text()
    assert text.count("seed: 0") == 1  # the spikes seed; edit in place so other params keep their key order
    (wf / "config/tiny.yaml").write_text(text.replace("seed: 0", "seed: 5"))
    proc = run(wf, "--configfile", "config/tiny.yaml", "--dry-run", "--rerun-triggers", "params")
    assert planned_jobs(proc.stdout + proc.stderr) == {"all", "make_spikes", "raster", "write_sim_config",
                                                       "simulate", "simulate_point", "sim_raster", "sim_traces",
                                                       "sim_ecp_figure", "sim_rates_comparison", "sim_rates",
                                                       "resolutions_figure", "manifest"}
    run(wf, "--configfile", "config/tiny.yaml", "--rerun-triggers", "params")
    assert SpikeTrains.load(wf / "results/inputs/lgn_poisson.h5") != h5
    # a changed simlib source file reruns the rules whose code reaches it (and what depends on their outputs)
    from simlib.workflow.code import PACKAGE_ROOT

    shutil.copytree(PACKAGE_ROOT / "simlib", tmp_path / "lib/simlib", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path / "lib")}

    def planned_after_edit(module):
        with open(tmp_path / "lib/simlib" / module, "a") as fh:
            fh.write("\n# edited\n")
        proc = subprocess.run([*SNAKEMAKE, "--cores", "2", "--configfile", "config/tiny.yaml", "--dry-run"], cwd=wf,
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return planned_jobs(proc.stdout + proc.stderr) if "Job stats" in proc.stdout + proc.stderr else set()

    assert planned_after_edit("errors.py.unused") == set()      # a file no code reaches
    assert planned_after_edit("pointnet/network.py") == {"all", "simulate_point", "sim_raster", "sim_traces",
                                                          "sim_rates_comparison", "sim_rates", "resolutions_figure",
                                                          "manifest"}
    shutil.copy(PACKAGE_ROOT / "simlib/pointnet/network.py", tmp_path / "lib/simlib/pointnet/network.py")  # undone
    assert planned_after_edit("popnet/solver.py") == {"all", "simulate_population", "population_rates",
                                                      "population_rates_figure", "resolutions_figure", "manifest"}


def planned_counts(output: str) -> dict[str, int]:
    """Jobs per rule in the 'Job stats' table of a dry run."""
    table = output.split("Job stats:")[1].split("total")[0]
    return {line.split()[0]: int(line.split()[1]) for line in table.splitlines()[3:] if line.strip()}


def test_sweep_points_are_cached_jobs(repo, tmp_path):
    """The tiny config's sweep: 3 LGN rates x 2 seeds = 6 simulations, a tidy table and a figure; adding a
    value plans 2 more simulations (and the aggregate) only."""
    import pandas as pd

    wf = workflow_copy(repo, tmp_path)
    run(wf, "results/sweeps/lgn_rate/table.csv", "--configfile", "config/tiny.yaml")
    points = sorted(p.name for p in (wf / "results/sweeps/lgn_rate").iterdir() if p.is_dir())
    assert points == [f"firing_rate_hz~{r}_seed~{s}" for r in ("100.0", "150.0", "50.0") for s in (1, 2)]
    table = pd.read_csv(wf / "results/sweeps/lgn_rate/table.csv")
    assert list(table.columns) == ["spikes.lgn_poisson.firing_rate_hz", "seed", "population", "cells", "mean_hz",
                                   "sd_hz", "median_hz", "isi_cv"]
    assert len(table) == 3 * 2 * 4 and set(table["population"]) == {"Scnn1a", "Rorb", "Nr5a1", "PV1"}
    means = table.groupby("spikes.lgn_poisson.firing_rate_hz")["mean_hz"].mean()
    assert means[150.0] > means[50.0]                          # more input, more output
    point = wf / "results/sweeps/lgn_rate/firing_rate_hz~150.0_seed~2"
    lgn = SpikeTrains.load(point / "inputs/lgn_poisson.h5")
    assert 0.5 * 150 * 0.5 * 10 < lgn.n_spikes() < 1.5 * 150 * 0.5 * 10   # the point's rate: 150 Hz x 0.5 s x 10 cells
    assert json.loads((point / "config.json").read_text())["run"]["tstop"] == 100.0
    assert (wf / "results/figures/sweeps/lgn_rate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (wf / "config/tiny.yaml").read_text()
    (wf / "config/tiny.yaml").write_text(text.replace("[50.0, 100.0, 150.0]", "[50.0, 100.0, 150.0, 200.0]"))
    proc = run(wf, "results/sweeps/lgn_rate/table.csv", "--dry-run", "--configfile", "config/tiny.yaml")
    assert planned_counts(proc.stdout + proc.stderr) == {"sweep_point": 2, "sweep_table": 1}


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c.update(sed=1), "'sed' was unexpected"),
    (lambda c: c["networks"]["l4"]["params"].update(scale=0) or c["networks"]["l4"].update(seed="x"),
     'networks.l4.seed: expected an integer, got "x"'),
    (lambda c: c["spikes"]["lgn_poisson"].update(firing_rate_hz=-1), "spikes.lgn_poisson.firing_rate_hz"),
    (lambda c: c["networks"]["l4"].update(model="l5"), "networks.l4"),
])
def test_bad_config_names_the_key(repo, tmp_path, mutate, expected):
    wf = workflow_copy(repo, tmp_path)
    cfg = yaml.safe_load((wf / "config/tiny.yaml").read_text())
    mutate(cfg)
    (wf / "config/bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = run(wf, "--configfile", "config/bad.yaml", check=False)
    assert proc.returncode != 0
    assert expected in proc.stdout + proc.stderr
    assert not (wf / "results").exists()


def test_failing_rule_leaves_no_outputs(repo, tmp_path):
    """A population that does not exist: one clear message, no spike files written."""
    wf = workflow_copy(repo, tmp_path)
    cfg = yaml.safe_load((wf / "config/tiny.yaml").read_text())
    cfg["spikes"]["lgn_poisson"]["population"] = "LGNX"
    (wf / "config/bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = run(wf, "--configfile", "config/bad.yaml", check=False)
    assert proc.returncode != 0
    assert "node population 'LGNX' not found; available: ['LGN', 'V1']" in proc.stdout + proc.stderr
    assert not (wf / "results/inputs/lgn_poisson.h5").exists()
    assert not (wf / "results/inputs/lgn_poisson.csv").exists()
    assert (wf / "results/networks/l4/circuit_config.json").exists()  # earlier outputs untouched


def test_user_network_script_and_other_mod_files(repo, tmp_path, bmtk_components):
    """A BMTK-style network script, and another mod set (bmtk's) compiled instead of ours."""
    import platform

    from simlib.mechanisms import mechanism_names

    wf = workflow_copy(repo, tmp_path)
    cfg = yaml.safe_load((wf / "config/tiny.yaml").read_text())
    cfg["networks"]["l4"] = {"script": "examples/l4_network_script.py", "seed": 3, "params": {"scale": 0.2}}
    cfg["mechanisms"] = {"mod_dir": str(bmtk_components / "mechanisms" / "modfiles")}
    # one point process per synapse, as bmtk: merged synapses sum in another order (rounding), which this
    # recurrent network amplifies into spike-time shifts after ~200 ms
    cfg["simulations"]["l4_poisson"]["merge_synapses"] = False
    (wf / "config/script.yaml").write_text(yaml.safe_dump(cfg))
    run(wf, "--configfile", "config/script.yaml")
    assert len(read_nodes(wf / "results/networks/l4/V1_nodes.h5")) == 60
    lib = wf / f"results/mechanisms/{platform.machine()}/libnrnmech.so"
    names = mechanism_names(lib)
    assert "VecStim" in names and "SpikeSource" not in names  # bmtk's set was compiled, not ours
    # the written simulation config runs in bmtk too (its mod set has VecStim), with the same spikes
    config = wf / "results/sims/l4_poisson/config.json"
    bmtk_config = json.loads(config.read_text())
    bmtk_config["output"]["output_dir"] = "${configdir}/output_bmtk"
    bmtk_config["reports"] = {}
    # bmtk needs the LGN nodes' filter models (dynamics_params) even to play their spikes
    bmtk_config["components"]["filter_models_dir"] = str(bmtk_components / "filter_models")
    (config.parent / "config_bmtk.json").write_text(json.dumps(bmtk_config))
    proc = subprocess.run([sys.executable, str(repo / "tests/bionet/bmtk_run.py"), str(config.parent / "config_bmtk.json")],
                          capture_output=True, text=True, cwd=config.parent, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = SpikeTrains.load(config.parent / "output/spikes.h5")
    theirs = SpikeTrains.load(config.parent / "output_bmtk/spikes.h5")
    assert ours.n_spikes() > 0 and ours.is_equal(theirs, err=0.01)


def test_nwb_driven_simulation(repo, tmp_path):
    """config/nwb.yaml's Neuropixels simulation, on synthetic sessions in the Visual Coding layout."""
    sys.path.insert(0, str(repo / "tests" / "spikes"))
    from ecephys_sessions import SESSIONS, write_session

    wf = workflow_copy(repo, tmp_path)
    for sid, spec in SESSIONS.items():
        folder = wf / f"resources/ecephys/session_{sid}"
        folder.mkdir(parents=True)
        write_session(folder / f"session_{sid}.nwb", sid, **spec)
    cfg = yaml.safe_load((wf / "config/nwb.yaml").read_text())
    cfg["networks"]["l4_nwb"]["params"] = {"scale": 0.1, "virtual_inputs": {"VISl": 10, "hippocampus": 10}}
    cfg["simulations"]["nwb_inputs"].update(tstop_ms=300.0, ranks=1)
    (wf / "config/nwb_tiny.yaml").write_text(yaml.safe_dump(cfg))
    run(wf, "results/figures/nwb_inputs/raster.png", "--configfile", "config/tiny.yaml", "config/nwb_tiny.yaml")
    config = SimulationConfig.from_json(wf / "results/sims/nwb_inputs/config.json")
    assert len(config.inputs["visl_spikes"]["input_file"]) == 3
    assert (wf / "results/sims/nwb_inputs/output/spikes.h5").exists()  # the tiny network may stay silent
    log = (wf / "results/sims/nwb_inputs/output/log.txt").read_text()
    for name in ("visl_spikes", "hippo_spikes"):
        synapses = int(log.split(f"input {name} (ecephys_probe): ")[1].split()[0])
        assert synapses > 0
    # a session file missing: the download stage fetches it (AllenSDK, tests/downloads), nothing else
    (wf / "resources/ecephys/session_754829445/session_754829445.nwb").unlink()
    for folder in ("results/sims/nwb_inputs", "results/figures/nwb_inputs"):  # (intermediates alone may be missing)
        shutil.rmtree(wf / folder)
    proc = run(wf, "results/figures/nwb_inputs/raster.png", "--dry-run", "--configfile",
               "config/tiny.yaml", "config/nwb_tiny.yaml")
    assert "download_ecephys_session" in planned_jobs(proc.stdout + proc.stderr)
    assert "session=754829445" in proc.stdout + proc.stderr and "session=715093703" not in proc.stdout + proc.stderr
