# Spike-train inputs: Poisson trains for the virtual populations of a built network.


rule make_spikes:
    input:
        unpack(lambda wc: specs.spikes_inputs(config, wc.name)),
    output:
        h5=paths.spikes_file("{name}", "h5"),
        csv=paths.spikes_file("{name}", "csv"),
    params:
        code=code("scripts/make_spikes.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: config["spikes"][wc.name],
    log:
        "logs/make_spikes/{name}.log",
    conda:
        "../envs/inputs.yaml"
    script:
        "../scripts/make_spikes.py"
