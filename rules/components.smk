# Cell models in BMTK's components layout: offline synthetic cells, or downloaded Allen models
# (rules/downloads.smk) joined with our synaptic and filter models.


rule cell_models:
    input:
        unpack(lambda wc: specs.cell_models_inputs(config, wc.name)),
    output:
        manifest=paths.components_manifest("{name}"),
    params:
        code=code("scripts/cell_models.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: config["components"][wc.name],
    log:
        "logs/cell_models/{name}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/cell_models.py"
