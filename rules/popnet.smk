# PopNet: the population version of a built network (one population per cell group), its runs with simlib's
# population-density solver, their rates, and the figure of one network at three resolutions.


rule population_network:
    input:
        circuit=lambda wc: paths.circuit_config(config["population_networks"][wc.net]["network"]),
    output:
        config=paths.population_network_config("{net}"),
    wildcard_constraints:
        net=specs.name_pattern(config.get("population_networks", {})),
    params:
        code=code("scripts/population_network.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: specs.population_network_spec(config, wc.net),
    log:
        "logs/population_network/{net}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/population_network.py"


rule simulate_population:
    input:
        config=paths.sim_config("{sim}"),
    output:
        directory(paths.sim_output("{sim}")),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "popnet")),
    params:
        code=code(specs.simulator_entry({"simulator": "popnet"}), "simlib.cli"),  # reruns when the simlib code it runs changes
        python=PYTHON,
    log:
        "logs/simulate_population/{sim}.log",
    conda:
        "../envs/network.yaml"
    shell:
        "{params.python} -m simlib popnet {input.config} > {log} 2>&1"


rule population_rates:
    input:
        output=paths.sim_output("{sim}"),
        population_network=lambda wc: paths.population_network_config(sim_spec(wc.sim)["network"]),
    output:
        csv=report(
            paths.sim_rates("{sim}"),
            caption="../report/population_rates.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "rates table"},
        ),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "popnet")),
    params:
        code=code("scripts/population_rates.py"),  # reruns when the simlib code it runs changes
        about=lambda wc: report_info.simulation_about(config, wc.sim),
        measured=lambda wc: report_info.MeasuredRates(paths.sim_rates(wc.sim)),
    log:
        "logs/population_rates/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/population_rates.py"


rule population_rates_figure:
    input:
        output=paths.sim_output("{sim}"),
        population_network=lambda wc: paths.population_network_config(sim_spec(wc.sim)["network"]),
    output:
        png=report(
            paths.sim_figure("{sim}", "rates"),
            caption="../report/population_rates_figure.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "rates"},
        ),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "popnet")),
    params:
        code=code("scripts/plot_population_rates.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim)["figures"]["rates"],
        about=lambda wc: report_info.simulation_about(config, wc.sim),
        measured=lambda wc: report_info.MeasuredRates(paths.sim_rates(wc.sim)),
    log:
        "logs/population_rates_figure/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_population_rates.py"


rule resolutions_figure:
    input:
        unpack(lambda wc: specs.resolutions_inputs(config, wc.sim)),
    output:
        png=report(
            paths.sim_figure("{sim}", "resolutions"),
            caption="../report/resolutions.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "three resolutions"},
        ),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "popnet")),
    params:
        code=code("scripts/plot_resolutions.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim)["figures"]["resolutions"],
        runs=lambda wc: specs.resolutions_runs(config, wc.sim),
        about=lambda wc: {key: report_info.simulation_about(config, run["name"])
                          for key, run in specs.resolutions_runs(config, wc.sim).items()},
        measured=lambda wc: {key: report_info.MeasuredRates(paths.sim_rates(run["name"]))
                             for key, run in specs.resolutions_runs(config, wc.sim).items()},
    log:
        "logs/resolutions_figure/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_resolutions.py"
