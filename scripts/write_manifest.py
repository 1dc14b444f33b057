"""Rule manifest: results/manifest.json, every result with its SHA-256, the config, seeds and versions."""
from simlib.workflow.manifest import write_manifest
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    log(f"wrote {write_manifest(snakemake.output[0], dict(snakemake.params.config), mod_dir=snakemake.params.mod_dir)}")
