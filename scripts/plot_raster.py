"""Rule raster: raster plot of a spikes file, grouped by a node attribute."""
from simlib.tasks import raster_figure, user_errors

spec = snakemake.params.spec
with user_errors():
    png = raster_figure(snakemake.input.spikes, snakemake.output.png, circuit_config=snakemake.input.circuit,
                        group_by=spec.get("group_by"), with_histogram=spec.get("with_histogram", False),
                        title=spec.get("title"))
with open(snakemake.log[0], "w") as log:
    print(f"wrote {png}", file=log)
