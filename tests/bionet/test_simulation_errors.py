"""Bad simulation inputs: one clear message each, exit status 1, before the run, no output files."""

import json
import shutil

import pytest

from simnet import build_network, mechanisms_dir, offline_components, run_simlib, write_config, write_poisson


@pytest.fixture(scope="module")
def setup(tmp_path_factory, nrnmech):
    root = tmp_path_factory.mktemp("bionet_errors")
    components = offline_components(root / "components")
    net = build_network(root / "network", n_exc=2, n_inh=1, n_lgn=2)
    write_poisson(root / "lgn.h5", 2, 10.0, 0.2)
    return root, components, net, mechanisms_dir(nrnmech)


def run_bad(setup, name, edit):
    root, components, net, mech = setup
    config = write_config(root / name / "config.json", net, components, mech, 200.0,
                          inputs={"lgn": {"input_type": "spikes", "module": "sonata",
                                          "input_file": str(root / "lgn.h5"), "node_set": "LGN"}})
    data = json.loads(config.read_text())
    edit(data, root / name)
    config.write_text(json.dumps(data))
    proc = run_simlib(config)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (config.parent / "output" / "spikes.h5").exists()
    errors = [line for line in proc.stderr.splitlines() if line.startswith("simlib: error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def copy_components(data, folder):
    src = data["components"]["morphologies_dir"].rsplit("/", 1)[0]
    shutil.copytree(src, folder / "components")
    for key in ("morphologies_dir", "biophysical_neuron_models_dir", "synaptic_models_dir"):
        data["components"][key] = str(folder / "components" / data["components"][key].rsplit("/", 1)[1])
    return folder / "components"


def test_missing_morphology(setup):
    def edit(data, folder):
        (copy_components(data, folder) / "morphologies" / "pyr.swc").unlink()
    msg = run_bad(setup, "no_swc", edit)
    assert "pyr.swc" in msg and "not found" in msg and "components.morphologies_dir" in msg


def test_missing_fit(setup):
    def edit(data, folder):
        (copy_components(data, folder) / "biophysical_neuron_models" / "fs_fit.json").unlink()
    msg = run_bad(setup, "no_fit", edit)
    assert "fs_fit.json" in msg and "not found" in msg


def test_unknown_mechanism_in_genome(setup):
    def edit(data, folder):
        fit_path = copy_components(data, folder) / "biophysical_neuron_models" / "rs_fit.json"
        fit = json.loads(fit_path.read_text())
        fit["genome"][0]["mechanism"] = "NoSuchChannel"
        fit_path.write_text(json.dumps(fit))
    msg = run_bad(setup, "bad_mech", edit)
    assert "rs_fit.json" in msg and "genome[0].mechanism 'NoSuchChannel'" in msg


def test_unknown_model_template(setup):
    def edit(data, folder):
        types = folder / "V1_node_types.csv"
        text = open(data["networks"]["nodes"][0]["node_types_file"]).read()
        types.write_text(text.replace("ctdb:Biophys1.hoc", "hoc:MyCell"))
        data["networks"]["nodes"][0]["node_types_file"] = str(types)
    msg = run_bad(setup, "bad_template", edit)
    assert "model_template 'hoc:MyCell' unknown" in msg and "ctdb:Biophys1" in msg


def test_node_set_matching_no_cell(setup):
    def edit(data, folder):
        data["reports"] = {"v": {"module": "membrane_report", "variable_name": "v", "sections": "soma",
                                 "cells": {"population": "V1", "pop_name": "Nobody"}}}
    msg = run_bad(setup, "empty_node_set", edit)
    assert "reports.v.cells" in msg and "matches no" in msg


def test_input_for_population_not_in_network(setup):
    def edit(data, folder):
        write_poisson(folder / "thal.h5", 2, 10.0, 0.2, population="Thalamus")
        data["inputs"]["lgn"].update(input_file=str(folder / "thal.h5"))
    msg = run_bad(setup, "wrong_pop", edit)
    assert "thal.h5" in msg and "'LGN'" in msg and "Thalamus" in msg


def test_tstop_not_after_tstart(setup):
    def edit(data, folder):
        data["run"]["tstart"], data["run"]["tstop"] = 100.0, 100.0
    msg = run_bad(setup, "tstop", edit)
    assert "run.tstop" in msg and "greater than" in msg


def test_unknown_input_module_lists_accepted(setup):
    def edit(data, folder):
        data["inputs"]["lgn"]["module"] = "parquet"
    msg = run_bad(setup, "module", edit)
    assert "'parquet'" in msg and "'h5'" in msg and "'csv'" in msg and "IClamp" in msg


def test_each_simulate_logs_into_its_own_file_only(setup, tmp_path):
    """simulate() removes its log file handler, also when it fails (a second run must not log into the first file)."""
    import subprocess
    import sys

    root, components, net, mech = setup
    configs = []
    for name in ("first", "second"):
        config = write_config(tmp_path / name / f"{name}.json", net, components, mech, 50.0)
        data = json.loads(config.read_text())
        data["components"].pop("mechanisms_dir")     # fails after the log file is opened
        config.write_text(json.dumps(data))
        configs.append(config)
    script = ("import logging, sys\n"
              "from simlib.bionet import simulate\n"
              "from simlib.errors import ConfigError\n"
              "for path in sys.argv[1:]:\n"
              "    try:\n"
              "        simulate(path)\n"
              "    except ConfigError:\n"
              "        pass\n"
              "left = [h for h in logging.getLogger('simlib').handlers if isinstance(h, logging.FileHandler)]\n"
              "print('file handlers left:', len(left))\n")
    proc = subprocess.run([sys.executable, "-c", script, *map(str, configs)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "file handlers left: 0" in proc.stdout
    first = (tmp_path / "first" / "output" / "log.txt").read_text()
    second = (tmp_path / "second" / "output" / "log.txt").read_text()
    assert "first" in first and "second" not in first
    assert "second" in second


def test_spikes_for_nodes_the_population_does_not_have(setup):
    """LGN has nodes 0 and 1: spikes for node 5 are an error that counts the real nodes."""
    def edit(data, folder):
        from simlib.spikes import SpikeTrains

        trains = SpikeTrains()
        trains.add_spikes([0, 5], [10.0, 20.0], population="LGN")
        trains.to_sonata(folder / "bad_lgn.h5")
        data["inputs"]["lgn"]["input_file"] = str(folder / "bad_lgn.h5")
    msg = run_bad(setup, "spikes_out_of_range", edit)
    assert "node ids [5]" in msg and "(2 nodes)" in msg, msg
