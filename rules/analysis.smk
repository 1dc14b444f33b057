# Figures: rasters of spike files, grouped by a node attribute; traces and ECP figures of simulations.


rule raster:
    input:
        unpack(lambda wc: specs.raster_inputs(config, wc.name)),
    output:
        png=paths.raster_figure("{name}"),
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
        output=paths.sim_output("{sim}"),
        circuit=lambda wc: paths.circuit_config(sim_spec(wc.sim)["network"]),
    output:
        png=paths.sim_figure("{sim}", "raster"),
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
        output=paths.sim_output("{sim}"),
        circuit=lambda wc: paths.circuit_config(sim_spec(wc.sim)["network"]),
    output:
        png=paths.sim_figure("{sim}", "traces"),
    params:
        spec=lambda wc: sim_spec(wc.sim)["figures"]["traces"],
        report=lambda wc: specs.figure_report(config, wc.sim, "traces"),
    log:
        "logs/sim_traces/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_traces.py"


rule sim_ecp_figure:
    input:
        output=paths.sim_output("{sim}"),
    output:
        png=paths.sim_figure("{sim}", "{kind}"),
    wildcard_constraints:
        kind="|".join(ECP_FIGURES),
    params:
        spec=lambda wc: sim_spec(wc.sim)["figures"][wc.kind],
        report=lambda wc: specs.figure_report(config, wc.sim, wc.kind),
    log:
        "logs/sim_ecp_figure/{sim}_{kind}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_ecp.py"


rule sim_rates_comparison:
    input:
        unpack(lambda wc: specs.rates_comparison_inputs(config, wc.sim)),
    output:
        png=paths.sim_figure("{sim}", "rates_comparison"),
    params:
        spec=lambda wc: sim_spec(wc.sim)["figures"]["rates_comparison"],
        runs=lambda wc: specs.rates_comparison_runs(config, wc.sim),
    log:
        "logs/sim_rates_comparison/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_rates_comparison.py"
