"""Rule sim_traces: membrane traces of a simulation's report (mean over cells plus individual traces)."""
from simlib.tasks import traces_figure
from simlib.workflow.script import rule_script
from simlib.workflow.simulation import figure_report_file

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    png = traces_figure(figure_report_file(spec, snakemake.params.report, snakemake.input.output),
                        snakemake.output.png, population=spec["population"], average=spec["average"],
                        title=spec.get("title"))
    log(f"wrote {png}")
