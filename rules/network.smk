# Network building: one SONATA network folder per entry of config["networks"].


rule build_network:
    output:
        circuit=paths.circuit_config("{net}"),
    params:
        spec=lambda wc: specs.network_spec(config, wc.net),
    log:
        "logs/build_network/{net}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/build_network.py"
