"""Rule sim_ecp_figure: one figure (ecp, lfp_csd, spectrum, ecp_populations) of a simulation's extracellular report."""
from pathlib import Path

from simlib.tasks import ecp_figure, user_errors

spec, report = snakemake.params.spec, snakemake.params.report
report_file = Path(snakemake.input.output) / report.get("file_name", f"{spec['report']}.h5")
with user_errors():
    png = ecp_figure(report_file, snakemake.output.png, kind=snakemake.wildcards.kind, title=spec.get("title"),
                     cutoff_hz=spec.get("cutoff_hz", 300.0))
with open(snakemake.log[0], "w") as log:
    print(f"wrote {png}", file=log)
