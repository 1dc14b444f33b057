# BioNet simulations: a SONATA simulation config per simulation, then the MPI run on NEURON.


rule write_sim_config:
    input:
        unpack(sim_config_input),
    output:
        config="results/sims/{sim}/config.json",
    params:
        spec=lambda wc: sim_spec(wc.sim),
    log:
        "logs/write_sim_config/{sim}.log",
    conda:
        "../envs/neuron.yaml"
    script:
        "../scripts/write_sim_config.py"


rule simulate:
    input:
        config="results/sims/{sim}/config.json",
        lib=f"results/mechanisms/{ARCH}/libnrnmech.so",
    output:
        directory("results/sims/{sim}/output"),
    params:
        python=PYTHON,
    threads: lambda wc: sim_spec(wc.sim)["ranks"]  # ranks count against --cores
    resources:
        mpi=MPIEXEC,
        tasks=lambda wc: sim_spec(wc.sim)["ranks"],
    log:
        "logs/simulate/{sim}.log",
    conda:
        "../envs/neuron.yaml"
    shell:
        "{resources.mpi} -n {resources.tasks} {params.python} -m simlib simulate {input.config} > {log} 2>&1"
