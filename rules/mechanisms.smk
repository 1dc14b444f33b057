# NEURON mechanisms: compiled once with nrnivmodl, reused by every simulation.
rule compile_mechanisms:
    output:
        lib=f"results/mechanisms/{ARCH}/libnrnmech.so",
    params:
        mod_dir=lambda wc: config["mechanisms"].get("mod_dir"),
        coreneuron=lambda wc: config["mechanisms"].get("coreneuron", False),
    log:
        "logs/compile_mechanisms.log",
    conda:
        "../envs/neuron.yaml"
    script:
        "../scripts/compile_mechanisms.py"
