"""Rule sim_raster: raster of a simulation's spikes, grouped by a node attribute, over the whole run."""
from pathlib import Path

from simlib.tasks import raster_figure, user_errors

spec = snakemake.params.spec
with user_errors():
    png = raster_figure(Path(snakemake.input.output) / "spikes.h5", snakemake.output.png,
                        circuit_config=snakemake.input.circuit, population=spec.get("population", "V1"),
                        group_by=spec.get("group_by"), with_histogram=spec.get("with_histogram", True),
                        title=spec.get("title"), times=(0.0, snakemake.params.tstop_ms))
with open(snakemake.log[0], "w") as log:
    print(f"wrote {png}", file=log)
