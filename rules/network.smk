# Network building: one SONATA network folder per entry of config["networks"].


rule build_network:
    output:
        circuit="results/networks/{net}/circuit_config.json",
    params:
        spec=lambda wc: network_spec(wc.net),
    log:
        "logs/build_network/{net}.log",
    conda:
        "../envs/network.yaml"
    script:
        "../scripts/build_network.py"
