"""run.max_report_gb: a BioNet run whose membrane and ECP reports would exceed it refuses to start and says how big."""

import pytest
from simnet import build_network, mechanisms_dir, offline_components, run_simlib, write_config, write_poisson

from simlib.sonata.ecp import write_electrodes


@pytest.fixture(scope="module")
def setup(tmp_path_factory, nrnmech):
    root = tmp_path_factory.mktemp("report_size")
    components = offline_components(root / "components")
    net = build_network(root / "network", n_exc=2, n_inh=1, n_lgn=2)
    write_poisson(root / "lgn.h5", 2, 10.0, 0.1)
    write_electrodes(root / "electrodes.csv", [0, 1], [[0.0, 0.0, 0.0], [0.0, 50.0, 0.0]])
    return root, components, net, mechanisms_dir(nrnmech)


def config(setup, name, max_report_gb):
    root, components, net, mech = setup
    run = {"max_report_gb": max_report_gb} if max_report_gb is not None else {}
    return write_config(root / name / "config.json", net, components, mech, 100.0, run=run,
                        inputs={"lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(root / "lgn.h5"),
                                        "node_set": "LGN"}},
                        reports={"v": {"module": "membrane_report", "variable_name": "v", "cells": "biophysical",
                                       "sections": "soma", "file_name": "v.h5"},
                                 "ecp": {"module": "extracellular", "electrode_positions": str(root / "electrodes.csv"),
                                         "file_name": "ecp.h5"}})


def test_reports_over_the_bound_refuse_to_start(setup):
    """3 somas x (1000 steps + mapping) x 8 bytes = 24,048 B; ECP 2 channels x 1000 steps x 8 B = 16,000 B."""
    path = config(setup, "small_bound", 3e-5)
    proc = run_simlib(path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("simlib: error:")]
    out = path.parent / "output"
    assert errors == [f"simlib: error: {path.name}: run.max_report_gb: the reports would hold 4e-05 GB (uncompressed: "
                      f"{out / 'v.h5'} 2.4e-05 GB, {out / 'ecp.h5'} 1.6e-05 GB), more than the limit of 3e-05 GB; "
                      f"record fewer cells or sections, a longer report dt or a shorter run, or raise "
                      f"run.max_report_gb"], proc.stderr
    assert "Traceback" not in proc.stderr
    assert "simulated" not in proc.stderr and not (out / "v.h5").exists() and not (out / "spikes.h5").exists()


def test_reports_within_the_default_bound_run(setup):
    path = config(setup, "default_bound", None)
    proc = run_simlib(path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (path.parent / "output" / "v.h5").exists() and (path.parent / "output" / "ecp.h5").exists()
