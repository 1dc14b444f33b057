# FilterNet: LGN firing rates and spikes from a visual stimulus, one run per entry of config["filternet"].


rule filternet:
    input:
        circuit=lambda wc: circuit_config(config["filternet"][wc.stim]["network"]),
        components=lambda wc: f"results/components/{config['filternet'][wc.stim]['components']}/components.json",
    output:
        config="results/filternet/{stim}/config.json",
        spikes="results/filternet/{stim}/output/spikes.h5",
        spikes_csv="results/filternet/{stim}/output/spikes.csv",
        rates="results/filternet/{stim}/output/rates.h5",
        rates_csv="results/filternet/{stim}/output/rates.csv",
    params:
        spec=lambda wc: config["filternet"][wc.stim],
    log:
        "logs/filternet/{stim}.log",
    conda:
        "../envs/inputs.yaml"
    script:
        "../scripts/filternet.py"
