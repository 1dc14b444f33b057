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
    params:
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
        config=config,
        mod_dir=config.get("mechanisms", {}).get("mod_dir"),
    log:
        "logs/manifest.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/write_manifest.py"
