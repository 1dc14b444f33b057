# Figures: rasters of spike files, grouped by a node attribute; traces and ECP figures of simulations.


rule raster:
    input:
        unpack(lambda wc: specs.raster_inputs(config, wc.name)),
    output:
        png=report(
            paths.raster_figure("{name}"),
            caption="../report/raster.rst",
            category=lambda wc: report_info.raster_category(config, wc.name),
            subcategory="{name}",
            labels={"figure": "raster {name}"},
        ),
    params:
        code=code("scripts/plot_raster.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: config["figures"]["rasters"][wc.name],
        about=lambda wc: report_info.raster_about(config, wc.name),
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
        png=report(
            paths.sim_figure("{sim}", "raster"),
            caption="../report/sim_raster.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "raster"},
        ),
    params:
        code=code("scripts/plot_sim_raster.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim)["figures"]["raster"],
        about=lambda wc: report_info.simulation_about(config, wc.sim),
        measured=lambda wc: report_info.MeasuredRates(paths.sim_rates(wc.sim)),
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
        png=report(
            paths.sim_figure("{sim}", "traces"),
            caption="../report/sim_traces.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "traces"},
        ),
    params:
        code=code("scripts/plot_traces.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim)["figures"]["traces"],
        about=lambda wc: report_info.simulation_about(config, wc.sim),
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
        png=report(
            paths.sim_figure("{sim}", "{kind}"),
            caption="../report/sim_ecp.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim, wc.kind),
            subcategory="{sim}",
            labels={"figure": "{kind}"},
        ),
    wildcard_constraints:
        kind="|".join(ECP_FIGURES),
    params:
        code=code("scripts/plot_ecp.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim)["figures"][wc.kind],
        about=lambda wc: report_info.simulation_about(config, wc.sim),
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
        png=report(
            paths.sim_figure("{sim}", "rates_comparison"),
            caption="../report/sim_rates_comparison.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "rates comparison"},
        ),
    params:
        code=code("scripts/plot_rates_comparison.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim)["figures"]["rates_comparison"],
        about=lambda wc: report_info.simulation_about(config, wc.sim),
        reference=lambda wc: report_info.simulation_about(
            config, sim_spec(wc.sim)["figures"]["rates_comparison"]["reference"]),
        measured=lambda wc: report_info.MeasuredRates(paths.sim_rates(wc.sim)),
        reference_measured=lambda wc: report_info.MeasuredRates(
            paths.sim_rates(sim_spec(wc.sim)["figures"]["rates_comparison"]["reference"])),
        runs=lambda wc: specs.rates_comparison_runs(config, wc.sim),
    log:
        "logs/sim_rates_comparison/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_rates_comparison.py"
