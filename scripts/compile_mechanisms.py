"""Rule compile_mechanisms: nrnivmodl on simlib's mod files (or the configured ones)."""
from simlib.tasks import compile_mechanism_library
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    lib = compile_mechanism_library(snakemake.output.lib, snakemake.params.mod_dir, snakemake.params.coreneuron)
    log(f"compiled {lib}")
