# Reproducible BMTK-tutorial pipeline: network building, spike trains, FilterNet, BioNet runs on NEURON, figures.
# Run:  snakemake --cores N            (default config: config/config.yaml, offline)
#       snakemake --report report.html  (after a run: every figure with its caption, the rates tables)
#       snakemake --cores N --configfile config/tiny.yaml

# the default config only when none is given (--configfile would otherwise be merged into it)
if not config:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/downloads.smk"
include: "rules/mechanisms.smk"
include: "rules/components.smk"
include: "rules/network.smk"
include: "rules/inputs.smk"
include: "rules/filternet.smk"
include: "rules/bionet.smk"
include: "rules/popnet.smk"
include: "rules/analysis.smk"
include: "rules/report.smk"


report: "report/workflow.rst"


rule all:
    input:
        specs.all_targets(config),
        paths.manifest(),
    default_target: True
