"""Rule sim_rates_comparison: per-population rates of a simulation beside another run of the same nodes."""
from pathlib import Path

from simlib.tasks import rates_comparison_figure
from simlib.workflow.script import rule_script

spec, runs = snakemake.params.spec, snakemake.params.runs
with rule_script(snakemake.log[0]) as log:
    png = rates_comparison_figure(
        [(runs["reference"]["label"], Path(snakemake.input.reference) / "spikes.h5", runs["reference"]["tstop_ms"]),
         (runs["this"]["label"], Path(snakemake.input.output) / "spikes.h5", runs["this"]["tstop_ms"])],
        snakemake.input.circuit, snakemake.output.png, population=spec["population"], group_by=spec["group_by"],
        title=spec.get("title"))
    log(f"wrote {png}")
