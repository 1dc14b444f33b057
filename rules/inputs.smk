# Spike-train inputs: Poisson trains for the virtual populations of a built network.


rule make_spikes:
    input:
        circuit=lambda wc: circuit_config(config["spikes"][wc.name]["network"]),
    output:
        h5="results/inputs/{name}.h5",
        csv="results/inputs/{name}.csv",
    params:
        spec=lambda wc: config["spikes"][wc.name],
    log:
        "logs/make_spikes/{name}.log",
    conda:
        "../envs/inputs.yaml"
    script:
        "../scripts/make_spikes.py"
