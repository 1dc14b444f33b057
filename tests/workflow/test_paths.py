"""simlib.workflow.paths: where each result file lives; the rules and scripts ask it rather than spell paths."""

import platform
import re
from pathlib import Path

import pytest

from simlib.workflow import paths


def test_paths_of_named_entries():
    assert paths.circuit_config("l4") == "results/networks/l4/circuit_config.json"
    assert paths.mechanism_library("arm64") == "results/mechanisms/arm64/libnrnmech.so"
    assert paths.mechanism_library() == f"results/mechanisms/{platform.machine()}/libnrnmech.so"
    assert paths.mechanisms_dir(paths.mechanism_library("x")) == Path("results/mechanisms")
    assert paths.components_manifest("offline") == "results/components/offline/components.json"
    assert Path(paths.components_manifest("offline")).parent == Path(paths.components_dir("offline"))
    assert paths.cell_models_listing("allen") == "resources/cell_models/allen/cells.json"
    assert paths.session_nwb(715093703) == "resources/ecephys/session_715093703/session_715093703.nwb"
    assert paths.session_nwb(1, cache_dir=Path("/c")) == "/c/session_1/session_1.nwb"
    assert paths.spikes_file("lgn") == "results/inputs/lgn.h5"
    assert paths.spikes_file("lgn", "csv") == "results/inputs/lgn.csv"
    assert paths.filternet_config("flash") == "results/filternet/flash/config.json"
    assert paths.filternet_output("flash") == "results/filternet/flash/output/spikes.h5"
    assert paths.filternet_output("flash", "rates.csv") == "results/filternet/flash/output/rates.csv"
    assert paths.sim_config("s") == "results/sims/s/config.json"
    assert paths.sim_output("s") == "results/sims/s/output"
    assert paths.raster_figure("lgn") == "results/figures/rasters/lgn.png"
    assert paths.sim_figure("s", "traces") == "results/figures/s/traces.png"


def test_wildcards_pass_through():
    """A rule's output pattern comes from the same function as the path another rule asks for."""
    assert paths.circuit_config("{net}") == "results/networks/{net}/circuit_config.json"
    assert paths.session_nwb("{session}") == "resources/ecephys/session_{session}/session_{session}.nwb"
    assert paths.sim_figure("{sim}", "{kind}") == "results/figures/{sim}/{kind}.png"


@pytest.mark.parametrize("call, accepted", [
    (lambda: paths.spikes_file("x", "nwb"), "h5, csv"),
    (lambda: paths.filternet_output("x", "rates.nwb"), "spikes.h5, spikes.csv, rates.h5, rates.csv"),
])
def test_unknown_names_list_the_accepted_ones(call, accepted):
    with pytest.raises(ValueError, match=f"accepted: {accepted}"):
        call()


def test_portable(tmp_path):
    config_dir = tmp_path / "sims" / "a"
    assert paths.portable(config_dir, config_dir) == "${configdir}"
    assert paths.portable(config_dir / "output", config_dir) == "${configdir}/output"
    assert paths.portable(tmp_path / "net" / "n.h5", config_dir) == "${configdir}/../../net/n.h5"


def test_rules_and_scripts_spell_no_result_paths(repo):
    """Paths of results/ and resources/ come from simlib.workflow.paths (logs/ and envs/ excepted)."""
    files = [*sorted((repo / "rules").glob("*.smk")), *sorted((repo / "scripts").glob("*.py")), repo / "Snakefile"]
    spelled = [f"{f.name}:{n}: {line.strip()}" for f in files for n, line in enumerate(f.read_text().splitlines(), 1)
               if re.search(r"""["'/](results|resources)/""", line)]
    assert not spelled, "\n".join(spelled)
