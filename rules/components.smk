# Offline cell models: synthetic morphologies, fit files and synaptic models in BMTK's components layout.


rule cell_models:
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
