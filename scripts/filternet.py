"""Rule filternet: write the FilterNet config of one stimulus, then run it (rates and spikes of the LGN)."""
from pathlib import Path

from simlib.config.filternet_writer import write_filternet_config
from simlib.filternet.run import run_filternet
from simlib.tasks import user_errors

spec = snakemake.params.spec
with user_errors():
    config = write_filternet_config(
        snakemake.output.config, circuit_config=snakemake.input.circuit, population=spec["population"],
        components_dir=Path(snakemake.input.components).parent, stimulus=spec["stimulus"],
        tstop_ms=spec["tstop_ms"], seed=spec["seed"])
    result = run_filternet(config)
with open(snakemake.log[0], "w") as log:
    print(f"wrote {', '.join(str(f) for f in result.files)}", file=log)
