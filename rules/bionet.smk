# Simulations: a SONATA simulation config per simulation, then the run: BioNet on NEURON under MPI, or
# PointNet on NEST with threads (simulator: pointnet).


rule write_sim_config:
    input:
        unpack(lambda wc: sim_config_inputs(config, wc.sim, workflow.basedir)),
    output:
        config=paths.sim_config("{sim}"),
    params:
        code=code("scripts/write_sim_config.py"),  # reruns when the simlib code it runs changes
        spec=lambda wc: sim_spec(wc.sim),
    log:
        "logs/write_sim_config/{sim}.log",
    conda:
        "../envs/neuron.yaml"
    script:
        "../scripts/write_sim_config.py"


def mpi_launch(wildcards, resources):
    """`{resources.mpi} -n {resources.tasks}`, or nothing when a profile sets no launcher (one plain process).

    A profile replaces `mpi` (profiles/slurm: srun); the SLURM executor refuses an MPI job of one task,
    so there a 1-rank simulation drops `mpi` and runs as an ordinary job.
    """
    return f"{resources.mpi} -n {resources.tasks}" if resources.get("mpi") else ""


rule simulate:
    input:
        config=paths.sim_config("{sim}"),
        lib=paths.mechanism_library(),
    output:
        directory(paths.sim_output("{sim}")),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "bionet")),
    params:
        code=code(specs.simulator_entry({"simulator": "bionet"}), "simlib.cli"),  # reruns when the simlib code it runs changes
        python=PYTHON,
        launch=mpi_launch,
    threads: lambda wc: sim_spec(wc.sim)["ranks"]  # ranks count against --cores
    resources:
        mpi=MPIEXEC,  # the launcher; profiles may set another (srun on SLURM)
        tasks=lambda wc: sim_spec(wc.sim)["ranks"],
    log:
        "logs/simulate/{sim}.log",
    conda:
        "../envs/neuron.yaml"
    shell:
        "{params.launch} {params.python} -m simlib simulate {input.config} > {log} 2>&1"


rule simulate_point:
    input:
        config=paths.sim_config("{sim}"),
    output:
        directory(paths.sim_output("{sim}")),
    wildcard_constraints:
        sim=specs.name_pattern(specs.simulations_of(config, "pointnet")),
    params:
        code=code(specs.simulator_entry({"simulator": "pointnet"}), "simlib.cli"),  # reruns when the simlib code it runs changes
        python=PYTHON,
    threads: lambda wc: sim_spec(wc.sim)["threads"]  # NEST threads: one process, `threads` cores
    log:
        "logs/simulate_point/{sim}.log",
    conda:
        "../envs/nest.yaml"
    shell:
        "{params.python} -m simlib pointnet {input.config} --threads {threads} > {log} 2>&1"
