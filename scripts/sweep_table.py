"""Rule sweep_table: the tidy table of a sweep (values, seed, population, rates, ISI CV) and its figure."""
from simlib.workflow.script import rule_script
from simlib.workflow.sweeps import write_sweep_outputs

with rule_script(snakemake.log[0]) as log:
    table, png = write_sweep_outputs(snakemake.config, snakemake.wildcards.sweep, dict(snakemake.input),
                                     snakemake.output.table, snakemake.output.png)
    log(f"wrote {table} and {png}")
