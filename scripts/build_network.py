"""Rule build_network: build one network (model or user script) into its results folder."""
from pathlib import Path

from simlib.tasks import build_network, user_errors

with open(snakemake.log[0], "w") as log, user_errors():
    path = build_network(snakemake.params.spec, Path(snakemake.output.circuit).parent)
    print(f"built {path}", file=log)
