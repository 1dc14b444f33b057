"""Rule make_spikes: spike trains for every node of a population (SONATA h5 + CSV): Poisson, or the ramp of rates."""
from simlib.tasks import make_spikes
from simlib.workflow.script import rule_script

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    trains = make_spikes(spec, snakemake.input.circuit, snakemake.output.h5, snakemake.output.csv)
    log(f"{trains.n_spikes(spec['population'])} spikes")
