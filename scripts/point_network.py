"""Rule point_network: the point-neuron version of a built network (same h5 files, re-typed for PointNet)."""
from pathlib import Path

from simlib.models.point_network import derive_point_network
from simlib.workflow.script import rule_script

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    circuit = derive_point_network(snakemake.input.circuit, Path(snakemake.output.circuit).parent, spec["cells"],
                                   spec["synapses"], cell_key=spec["cell_key"], synapse_key=spec["synapse_key"])
    log(f"wrote {circuit}")
