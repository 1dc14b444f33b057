# The figure factory's bookkeeping: a rates table per simulation (in the report) and results/manifest.json
# (every result with its SHA-256, the config, its seeds and the library versions).


rule sim_rates:
    input:
        output=paths.sim_output("{sim}"),
        circuit=lambda wc: paths.circuit_config(sim_spec(wc.sim)["network"]),
    output:
        csv=report(
            paths.sim_rates("{sim}"),
            caption="../report/sim_rates.rst",
            category=lambda wc: report_info.simulation_category(config, wc.sim),
            subcategory="{sim}",
            labels={"figure": "rates table"},
        ),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "bionet") + specs.simulations_of(config, "pointnet")),
    params:
        code=code("scripts/rates_table.py"),  # reruns when the simlib code it runs changes
        tstop_ms=lambda wc: sim_spec(wc.sim)["tstop_ms"],
        about=lambda wc: report_info.simulation_about(config, wc.sim),
        measured=lambda wc: report_info.MeasuredRates(paths.sim_rates(wc.sim)),
    log:
        "logs/sim_rates/{sim}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/rates_table.py"


rule manifest:
    input:
        specs.all_targets(config),
    output:
        paths.manifest(),
    params:
        code=code("scripts/write_manifest.py"),  # reruns when the simlib code it runs changes
        config=config,
        mod_dir=config.get("mechanisms", {}).get("mod_dir"),
    log:
        "logs/manifest.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/write_manifest.py"


rule sweep_point:
    input:
        unpack(lambda wc: sweeps.point_inputs(config, wc.sweep, workflow.basedir)),
    output:
        rates=paths.sweep_point_rates("{sweep}", "{point}"),
    params:
        code=lambda wc: code("scripts/sweep_point.py", specs.simulator_entry(sim_spec(config["sweeps"][wc.sweep]["simulation"]))),
        config=lambda wc: sweeps.point_config(config, wc.sweep, wc.point),
        sim=lambda wc: config["sweeps"][wc.sweep]["simulation"],
        python=PYTHON,
        launch=lambda wc, resources: f"{resources.mpi} -n {resources.tasks}" if resources.get("mpi") else "",
    threads: lambda wc: specs.simulate_cores(sim_spec(config["sweeps"][wc.sweep]["simulation"]))
    resources:
        mpi=MPIEXEC,
        tasks=lambda wc: specs.simulate_cores(sim_spec(config["sweeps"][wc.sweep]["simulation"])),
    log:
        "logs/sweep_point/{sweep}/{point}.log",
    conda:
        "../envs/neuron.yaml"
    script:
        "../scripts/sweep_point.py"


rule sweep_table:
    input:
        unpack(lambda wc: specs.sweep_point_files(config, wc.sweep)),
    output:
        table=report(
            paths.sweep_table("{sweep}"),
            caption="../report/sweep_table.rst",
            category=report_info.CATEGORIES["sweeps"],
            subcategory="{sweep}",
            labels={"figure": "table"},
        ),
        png=report(
            paths.sweep_figure("{sweep}"),
            caption="../report/sweep_figure.rst",
            category=report_info.CATEGORIES["sweeps"],
            subcategory="{sweep}",
            labels={"figure": "rate against parameter"},
        ),
    params:
        code=code("scripts/sweep_table.py"),
        about=lambda wc: report_info.sweep_about(config, wc.sweep),
    log:
        "logs/sweep_table/{sweep}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/sweep_table.py"
