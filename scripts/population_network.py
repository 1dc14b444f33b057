"""Rule population_network: the population (PopNet) version of a built network, with its own PopNet config."""
from pathlib import Path

from simlib.tasks import population_network
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    config = population_network(snakemake.params.spec, snakemake.input.circuit,
                                Path(snakemake.output.config).parent)
    log(f"wrote {config}")
