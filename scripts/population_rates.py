"""Rule population_rates: each population's rate in one PopNet run (time-average, SD over time, extremes; CSV)."""
from pathlib import Path

from simlib.tasks import popnet_rates_table
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    csv = popnet_rates_table(Path(snakemake.input.output) / "spike_rates.csv", snakemake.input.population_network,
                             snakemake.output.csv)
    log(f"wrote {csv}")
