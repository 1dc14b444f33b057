"""Rule cell_models: the components folder (offline synthetic cells, or downloaded ones + our synaptic models)."""
from pathlib import Path

from simlib.models.components import write_components, write_downloaded_components
from simlib.tasks import user_errors

spec = snakemake.params.spec
out = Path(snakemake.output.manifest).parent
with user_errors():
    if spec.get("source") == "allen":
        manifest = write_downloaded_components(out, snakemake.input.cells)
    else:
        manifest = write_components(out, seed=spec["seed"], cell_map=spec["cells"])
with open(snakemake.log[0], "w") as log:
    print(f"wrote {manifest}", file=log)
