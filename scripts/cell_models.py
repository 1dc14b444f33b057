"""Rule cell_models: write the offline components folder (morphologies, fits, synaptic models)."""
from pathlib import Path

from simlib.models.components import write_components
from simlib.tasks import user_errors

spec = snakemake.params.spec
with user_errors():
    manifest = write_components(Path(snakemake.output.manifest).parent, seed=spec["seed"],
                                cell_map=spec["cells"])
with open(snakemake.log[0], "w") as log:
    print(f"wrote {manifest}", file=log)
