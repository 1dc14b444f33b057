"""Rule sim_ecp_figure: one figure (ecp, lfp_csd, spectrum, ecp_populations) of a simulation's extracellular report."""
from simlib.tasks import ecp_figure
from simlib.workflow.script import rule_script
from simlib.workflow.simulation import figure_report_file

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    png = ecp_figure(figure_report_file(spec, snakemake.params.report, snakemake.input.output), snakemake.output.png,
                     kind=snakemake.wildcards.kind, title=spec.get("title"), cutoff_hz=spec["cutoff_hz"])
    log(f"wrote {png}")
