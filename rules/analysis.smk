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


rule sim_raster:
    input:
        output="results/sims/{sim}/output",
        circuit=lambda wc: sim_network(wc.sim),
    output:
        png="results/figures/{sim}/raster.png",
    params:
        spec=lambda wc: sim_spec(wc.sim)["figures"]["raster"],
        tstop_ms=lambda wc: sim_spec(wc.sim)["tstop_ms"],
    log:
        "logs/sim_raster/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_sim_raster.py"


rule sim_traces:
    input:
        output="results/sims/{sim}/output",
        circuit=lambda wc: sim_network(wc.sim),
    output:
        png="results/figures/{sim}/traces.png",
    params:
        spec=lambda wc: sim_spec(wc.sim)["figures"]["traces"],
        report=lambda wc: sim_spec(wc.sim)["reports"][sim_spec(wc.sim)["figures"]["traces"]["report"]],
    log:
        "logs/sim_traces/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_traces.py"


rule sim_ecp_figure:
    input:
        output="results/sims/{sim}/output",
    output:
        png="results/figures/{sim}/{kind}.png",
    wildcard_constraints:
        kind="ecp|lfp_csd|spectrum|ecp_populations",
    params:
        spec=lambda wc: sim_spec(wc.sim)["figures"][wc.kind],
        report=lambda wc: sim_spec(wc.sim)["reports"][sim_spec(wc.sim)["figures"][wc.kind]["report"]],
    log:
        "logs/sim_ecp_figure/{sim}_{kind}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_ecp.py"
