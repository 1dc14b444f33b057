# Config validation and what every stage shares. The logic lives in simlib.workflow (tested there):
# paths of the result files, the config's cross-references, each rule's inputs.
import sys
from pathlib import Path

from snakemake.utils import validate

from simlib.config import validate_against_schema
from simlib.errors import ConfigError
from simlib.tasks import ECP_FIGURES
from simlib.workflow import paths, specs
from simlib.workflow import report as report_info
from simlib.workflow import sweeps
from simlib.workflow.code import code_hash
from simlib.workflow.references import reference_problems
from simlib.workflow.simulation import sim_config_inputs

_config_source = ", ".join(str(f) for f in workflow.configfiles) or "config"
try:
    # our validator first: it lists every problem with its key path
    validate_against_schema(config, Path(workflow.basedir) / "config" / "schema.yaml", source=_config_source)
except ConfigError as exc:
    raise ValueError(f"invalid workflow config:\n{exc}") from None
validate(config, "../config/schema.yaml")  # fills the schema defaults
_problems = reference_problems(config, workflow.basedir)
if _problems:
    raise ValueError("invalid workflow config:\n" + "\n".join(f"{_config_source}: {p}" for p in _problems))


PYTHON = sys.executable  # the environment snakemake runs in (has simlib, NEURON, mpich)
MPIEXEC = str(Path(PYTHON).with_name("mpiexec")) if Path(PYTHON).with_name("mpiexec").exists() else "mpiexec"


def sim_spec(sim):
    return config["simulations"][sim]


def code(*entries):
    """The hash of the simlib code a rule runs (scripts relative to the workflow folder, or module:function)."""
    return code_hash(*(str(Path(workflow.basedir) / e) if e.endswith(".py") else e for e in entries))
