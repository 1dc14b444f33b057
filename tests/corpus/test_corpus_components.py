"""Damaged component files without a command of their own (SWC, fit and synaptic JSON, ecephys NWB, weight
functions, the workflow YAML config): the reader raises a SimlibError naming the file."""

import pytest

from make import ecephys_cases, fit_and_synapse_cases, functions_cases, params, run_case, swc_cases, yaml_cases
from make import _load_fit, _load_synapse, _read_swc, _read_units, _validate_yaml

REPO_SCHEMA = __import__("pathlib").Path(__file__).resolve().parents[2] / "config" / "schema.yaml"
CASES = swc_cases() + fit_and_synapse_cases() + ecephys_cases() + functions_cases() + yaml_cases(REPO_SCHEMA)


def test_the_base_components_are_valid(base, tmp_path):
    _read_swc(base.swc)
    _load_fit(base.fit)
    _load_synapse(base.synapse)
    assert len(_read_units(base.ecephys)) == 2
    good = tmp_path / "config.yaml"
    good.write_text("seed: 1\nnetworks:\n  net:\n    model: l4_tutorial\n")
    _validate_yaml(good, REPO_SCHEMA)


@pytest.mark.parametrize("case", params(CASES))
def test_component_files(case, base, tmp_path, capsys):
    run_case(case.make(base, tmp_path / "case"), capsys)
