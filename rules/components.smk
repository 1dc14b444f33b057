# Cell models in BMTK's components layout: offline synthetic cells, or downloaded Allen models
# (rules/downloads.smk) joined with our synaptic and filter models.


def cell_models_input(wildcards):
    spec = config["components"][wildcards.name]
    return {"cells": f"resources/cell_models/{wildcards.name}/cells.json"} if spec.get("source") == "allen" else {}


rule cell_models:
    input:
        unpack(cell_models_input),
    output:
        manifest="results/components/{name}/components.json",
    params:
        spec=lambda wc: config["components"][wc.name],
    log:
        "logs/cell_models/{name}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/cell_models.py"
