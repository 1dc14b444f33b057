"""Rule sweep_point: one point of a parameter sweep: regenerate its inputs, run its simulation, its rates table."""
from pathlib import Path

from simlib.workflow.script import rule_script
from simlib.workflow.sweeps import run_point

with rule_script(snakemake.log[0]) as log:
    rates = run_point(snakemake.params.config, snakemake.params.sim, Path(snakemake.output.rates).parent,
                      dict(snakemake.input), snakemake.params.launch.split(), snakemake.params.python, log)
    log(f"wrote {rates}")
