"""Rule sim_traces: membrane traces of a simulation's report (mean over cells plus individual traces)."""
from pathlib import Path

from simlib.tasks import traces_figure, user_errors

spec, report = snakemake.params.spec, snakemake.params.report
report_file = Path(snakemake.input.output) / report.get("file_name", f"{spec['report']}.h5")
with user_errors():
    png = traces_figure(report_file, snakemake.output.png, population=spec.get("population", "V1"),
                        average=spec.get("average", True), title=spec.get("title"))
with open(snakemake.log[0], "w") as log:
    print(f"wrote {png}", file=log)
