"""Rule build_network: build one network (model or user script) into its results folder."""
from pathlib import Path

from simlib.tasks import build_network
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    log(f"built {build_network(snakemake.params.spec, Path(snakemake.output.circuit).parent)}")
