"""Rule sim_rates: each population's firing rates in one simulation (cells, mean, SD, median; CSV)."""
from pathlib import Path

from simlib.tasks import rates_table
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    csv = rates_table(Path(snakemake.input.output) / "spikes.h5", snakemake.input.circuit,
                      snakemake.params.tstop_ms, snakemake.output.csv)
    log(f"wrote {csv}")
