"""Damaged spike files (SONATA h5, CSV, NWB) through `spikes info`, `spikes convert` and `plot-raster`."""

import pytest

from make import params, run_case, spikes_cases, spikes_run


@pytest.mark.parametrize("command", ["spikes-info", "spikes-convert", "plot-raster"])
@pytest.mark.parametrize("source", ["spikes_h5", "spikes_csv", "spikes_nwb"])
def test_the_base_spike_files_are_valid(base, source, command, tmp_path, capsys):
    from simlib.cli import main

    run = spikes_run(command, getattr(base, source), tmp_path)
    assert main(run.argv) == 0


@pytest.mark.parametrize("case", params(spikes_cases()))
def test_spike_files(case, base, tmp_path, capsys):
    run_case(case.make(base, tmp_path / "case"), capsys)
