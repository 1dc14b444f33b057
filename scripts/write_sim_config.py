"""Rule write_sim_config: the SONATA/BMTK simulation config of one simulation of the workflow config."""
from simlib.workflow.script import rule_script
from simlib.workflow.simulation import write_sim_config

with rule_script(snakemake.log[0]) as log:
    log(f"wrote {write_sim_config(snakemake.params.spec, snakemake.input, snakemake.output.config)}")
