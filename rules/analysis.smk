# Figures: rasters of spike files, grouped by a node attribute.


def _raster_input(wc):
    spec = config["figures"]["rasters"][wc.name]
    spikes = spec["spikes"]
    network = config["spikes"][spikes]["network"]
    return {"spikes": f"results/inputs/{spikes}.h5", "circuit": circuit_config(network)}


rule raster:
    input:
        unpack(_raster_input),
    output:
        png="results/figures/rasters/{name}.png",
    params:
        spec=lambda wc: config["figures"]["rasters"][wc.name],
    log:
        "logs/raster/{name}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_raster.py"
