"""Rule make_spikes: Poisson spike trains for every node of a population (SONATA h5 + CSV)."""
from simlib.tasks import make_poisson_spikes, user_errors

spec = snakemake.params.spec
with user_errors():
    trains = make_poisson_spikes(snakemake.input.circuit, spec["population"], spec["firing_rate_hz"],
                                 spec["start_s"], spec["stop_s"], spec["seed"],
                                 snakemake.output.h5, snakemake.output.csv)
with open(snakemake.log[0], "w") as log:
    print(f"{trains.n_spikes(spec['population'])} spikes", file=log)
