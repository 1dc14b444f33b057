# NEURON mechanisms: compiled once with nrnivmodl, reused by every simulation.
rule compile_mechanisms:
    output:
        lib=paths.mechanism_library(),
    params:
        mod_dir=lambda wc: config["mechanisms"]["mod_dir"],
        coreneuron=lambda wc: config["mechanisms"]["coreneuron"],
    log:
        "logs/compile_mechanisms.log",
    conda:
        "../envs/neuron.yaml"
    script:
        "../scripts/compile_mechanisms.py"
