# Figures: rasters of spike files, grouped by a node attribute.


rule raster:
    input:
        unpack(raster_input),
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
