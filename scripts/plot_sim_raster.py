"""Rule sim_raster: raster of a simulation's spikes, grouped by a node attribute, over the whole run."""
from pathlib import Path

from simlib.tasks import raster_figure
from simlib.workflow.script import rule_script

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    png = raster_figure(Path(snakemake.input.output) / "spikes.h5", snakemake.output.png,
                        circuit_config=snakemake.input.circuit, population=spec["population"],
                        group_by=spec.get("group_by"), with_histogram=spec["with_histogram"],
                        title=spec.get("title"), times=(0.0, snakemake.params.tstop_ms))
    log(f"wrote {png}")
