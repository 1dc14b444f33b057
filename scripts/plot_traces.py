"""Rule sim_traces: membrane traces of a simulation's report (mean over cells plus individual traces)."""
from simlib.errors import ConfigError
from simlib.sonata.reports import report_files
from simlib.tasks import traces_figure, user_errors

spec, report = snakemake.params.spec, snakemake.params.report
files = report_files(spec["report"], report, snakemake.input.output)  # <stem>.<var>.h5 for several variables
variable = spec.get("variable", next(iter(files)))
with user_errors():
    if variable not in files:
        raise ConfigError(f"figures.traces.variable: '{variable}' is not recorded by report '{spec['report']}' "
                          f"({', '.join(files)})")
    png = traces_figure(files[variable], snakemake.output.png, population=spec.get("population", "V1"),
                        average=spec.get("average", True), title=spec.get("title"))
with open(snakemake.log[0], "w") as log:
    print(f"wrote {png}", file=log)
