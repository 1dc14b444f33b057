"""Damaged simulation inputs: FilterNet filters and movies, BioNet / FilterNet simulation configs, electrode
CSVs and ECP reports; an older output stays as it was."""

import pytest

from make import ecp_cases, filternet_cases, filternet_run, params, run_case, sim_config_cases

CASES = filternet_cases() + sim_config_cases() + ecp_cases()


def test_the_base_filternet_config_runs(base, tmp_path, capsys):
    from simlib.cli import main

    run = filternet_run(base, tmp_path, base.filternet_config)
    assert main(run.argv) == 0
    assert (tmp_path / "output" / "rates.csv").exists()


def test_the_base_ecp_report_draws(base, tmp_path):
    from simlib.cli import main

    assert main(["plot-ecp", str(base.ecp_bmtk), "--electrodes", str(base.electrodes), "-o",
                 str(tmp_path / "ecp.png")]) == 0


@pytest.mark.parametrize("case", params(CASES))
def test_simulation_inputs(case, base, tmp_path, capsys):
    run_case(case.make(base, tmp_path / "case"), capsys)
