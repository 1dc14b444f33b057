"""Rule write_sim_config: the SONATA/BMTK simulation config of one simulation of the workflow config."""
from pathlib import Path

from simlib.config.writer import write_bionet_config
from simlib.tasks import user_errors

spec = snakemake.params.spec
inputs = {}
for name, inp in spec.get("inputs", {}).items():
    inp = dict(inp)
    if "spikes" in inp or "filternet" in inp:  # made by make_spikes or by a filternet run
        inp.pop("spikes", None)
        inp.pop("filternet", None)
        inp["input_file"] = snakemake.input[f"spikes_{name}"]
    inputs[name] = inp
with user_errors():
    path = write_bionet_config(
        snakemake.output.config, circuit_config=snakemake.input.circuit,
        components_dir=Path(snakemake.input.components).parent,
        mechanisms_dir=Path(snakemake.input.lib).parent.parent, tstop_ms=spec["tstop_ms"], dt_ms=spec["dt_ms"],
        dL_um=spec["dL_um"], celsius=spec["celsius"], v_init_mv=spec["v_init_mv"], inputs=inputs,
        reports=spec.get("reports", {}), backend=spec["backend"], merge_synapses=spec["merge_synapses"],
        functions_file=snakemake.input.get("functions_file"))
with open(snakemake.log[0], "w") as log:
    print(f"wrote {path}", file=log)
