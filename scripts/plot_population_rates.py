"""Rule population_rates_figure: each population's rate over time in one PopNet run."""
from pathlib import Path

from simlib.tasks import popnet_rates_figure
from simlib.workflow.script import rule_script

with rule_script(snakemake.log[0]) as log:
    png = popnet_rates_figure(Path(snakemake.input.output) / "spike_rates.csv", snakemake.input.population_network,
                              snakemake.output.png, title=snakemake.params.spec.get("title"))
    log(f"wrote {png}")
