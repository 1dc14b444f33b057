"""Damaged SONATA networks (nodes / edges h5, types CSVs, circuit configs): one clear line each, exit status 1."""

import pytest

from make import (SENTINEL, circuit_cases, edges_cases, nodes_cases, params, run_case, sentinel, types_cases,
                  write_circuit)

CASES = nodes_cases() + edges_cases() + types_cases() + circuit_cases()


def test_the_base_network_is_valid(base, tmp_path, capsys):
    from simlib.cli import main

    assert main(["network-info", str(write_circuit(base, tmp_path))]) == 0
    assert main(["network-info", str(base.circuit)]) == 0


@pytest.mark.parametrize("case", params(CASES))
def test_network_info(case, base, tmp_path, capsys):
    run_case(case.make(base, tmp_path / "case"), capsys)


FIGURE_CASES = [(case, "plot-connectivity") for case in CASES if "/index/" not in case.id and "indices" not in case.id]
FIGURE_CASES += [(case, "plot-positions") for case in CASES if case.id.startswith(("nodes/", "node_types/"))]


@pytest.mark.parametrize("case, command", FIGURE_CASES, ids=lambda c: getattr(c, "id", c))
def test_network_figures(case, command, base, tmp_path, capsys):
    """The figure commands read the same files: same promise, and an older figure stays as it was."""
    run = case.make(base, tmp_path / "case")
    figure = sentinel(tmp_path / "out" / "figure.png")
    run.argv = [command, run.argv[1], "-o", str(figure)]
    run.outputs = (figure,)
    run_case(run, capsys)
    assert figure.read_bytes() == SENTINEL
