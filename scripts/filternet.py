"""Rule filternet: write the FilterNet config of one stimulus, then run it (rates and spikes of the LGN)."""
from pathlib import Path

from simlib.filternet.run import run_filternet
from simlib.workflow.filternet_writer import write_filternet_config
from simlib.workflow.script import rule_script

spec = snakemake.params.spec
with rule_script(snakemake.log[0]) as log:
    config = write_filternet_config(
        snakemake.output.config, circuit_config=snakemake.input.circuit, population=spec["population"],
        components_dir=Path(snakemake.input.components).parent, stimulus=spec["stimulus"],
        tstop_ms=spec["tstop_ms"], seed=spec["seed"])
    result = run_filternet(config)
    log(f"wrote {', '.join(str(f) for f in result.files)}")
