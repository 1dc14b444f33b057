"""Rule network_figure: synapses between populations (connectivity), or cell positions, of a built network."""
from simlib.analysis.figures import connectivity_figure, positions_figure
from simlib.workflow.script import rule_script

about, kind = snakemake.params.about, snakemake.wildcards.kind
with rule_script(snakemake.log[0]) as log:
    if kind == "connectivity":
        png = connectivity_figure(snakemake.input.circuit, snakemake.output.png,
                                  title=f"{about['name']}: synapses between populations")
    else:
        png = positions_figure(snakemake.input.circuit, snakemake.output.png, population=about["population"],
                               title=f"{about['name']}: {about['population']} cell positions")
    log(f"wrote {png}")
