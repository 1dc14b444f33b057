"""Rule cell_models: the components folder (offline synthetic cells, or downloaded ones + our synaptic models)."""
from pathlib import Path

from simlib.tasks import write_cell_models
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    manifest = write_cell_models(snakemake.params.spec, Path(snakemake.output.manifest).parent,
                                 snakemake.input.get("cells"))
    log(f"wrote {manifest}")
