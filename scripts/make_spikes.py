"""Rule make_spikes: spike trains for every node of a population (SONATA h5 + CSV): Poisson, or the ramp of rates."""
from simlib.tasks import make_poisson_spikes, make_ramp_spikes, user_errors

spec = snakemake.params.spec
with user_errors():
    if spec.get("kind", "poisson") == "ramp":
        trains = make_ramp_spikes(snakemake.input.circuit, spec["population"], spec["rate_step_hz"], spec["start_s"],
                                  spec["stop_s"], spec["seed"], snakemake.output.h5, snakemake.output.csv)
    else:
        trains = make_poisson_spikes(snakemake.input.circuit, spec["population"], spec["firing_rate_hz"],
                                     spec["start_s"], spec["stop_s"], spec["seed"],
                                     snakemake.output.h5, snakemake.output.csv)
with open(snakemake.log[0], "w") as log:
    print(f"{trains.n_spikes(spec['population'])} spikes", file=log)
