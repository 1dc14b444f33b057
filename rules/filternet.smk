# FilterNet: LGN firing rates and spikes from a visual stimulus, one run per entry of config["filternet"].


rule filternet:
    input:
        unpack(lambda wc: specs.filternet_inputs(config, wc.stim)),
    output:
        config=paths.filternet_config("{stim}"),
        spikes=paths.filternet_output("{stim}", "spikes.h5"),
        spikes_csv=paths.filternet_output("{stim}", "spikes.csv"),
        rates=paths.filternet_output("{stim}", "rates.h5"),
        rates_csv=paths.filternet_output("{stim}", "rates.csv"),
    params:
        code=code("scripts/filternet.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: config["filternet"][wc.stim],
    log:
        "logs/filternet/{stim}.log",
    conda:
        "../envs/inputs.yaml"
    script:
        "../scripts/filternet.py"
