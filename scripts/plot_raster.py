"""Rule raster: raster plot of a spikes file, grouped by a node attribute."""
from simlib.tasks import raster_figure
from simlib.workflow.script import rule_script

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    png = raster_figure(snakemake.input.spikes, snakemake.output.png, circuit_config=snakemake.input.circuit,
                        group_by=spec.get("group_by"), with_histogram=spec["with_histogram"], title=spec.get("title"))
    log(f"wrote {png}")
