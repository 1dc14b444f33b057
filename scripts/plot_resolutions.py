"""Rule resolutions_figure: one network's population rates over time from BioNet, PointNet and PopNet runs."""
from pathlib import Path

from simlib.tasks import resolutions_figure
from simlib.workflow.script import rule_script

spec, runs, files = snakemake.params.spec, snakemake.params.runs, snakemake.input
with rule_script(snakemake.log[0]) as log:
    spiking = [(runs[key]["label"], Path(getattr(files, key)) / "spikes.h5", getattr(files, f"{key}_circuit"),
                runs[key]["tstop_ms"])
               for key in ("bionet", "pointnet") if key in runs]
    png = resolutions_figure((runs["popnet"]["label"], Path(files.output) / "spike_rates.csv",
                              files.population_network), spiking, snakemake.output.png,
                             population=spec["population"], bin_ms=spec["bin_ms"], title=spec.get("title"))
    log(f"wrote {png}")
