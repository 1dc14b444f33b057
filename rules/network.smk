# Network building: one SONATA network folder per entry of config["networks"], and the point-neuron
# version of a built network per entry of config["point_networks"] (the same h5 files, re-typed for PointNet).


rule build_network:
    output:
        circuit=paths.circuit_config("{net}"),
    wildcard_constraints:
        net=specs.name_pattern(config["networks"]),
    params:
        code=code("scripts/build_network.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: specs.network_spec(config, wc.net),
    log:
        "logs/build_network/{net}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/build_network.py"


rule point_network:
    input:
        circuit=lambda wc: paths.circuit_config(config["point_networks"][wc.net]["network"]),
    output:
        circuit=paths.circuit_config("{net}"),
    wildcard_constraints:
        net=specs.name_pattern(config.get("point_networks", {})),
    params:
        code=code("scripts/point_network.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: specs.point_network_spec(config, wc.net),
    log:
        "logs/point_network/{net}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/point_network.py"


rule network_figure:
    input:
        circuit=paths.circuit_config("{net}"),
    output:
        png=report(
            paths.network_figure("{net}", "{kind}"),
            caption="../report/network_figure.rst",
            category=report_info.CATEGORIES["network"],
            subcategory="{net}",
            labels={"figure": "{kind}"},
        ),
    wildcard_constraints:
        kind="|".join(paths.NETWORK_FIGURES),
    params:
        code=code("scripts/plot_network.py"),  # reruns when the simlib code it runs changes
        about=lambda wc: report_info.network_figure_about(config, wc.net),
    log:
        "logs/network_figure/{net}_{kind}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/plot_network.py"
