"""Rule compile_mechanisms: nrnivmodl on simlib's mod files (or the configured ones)."""
from pathlib import Path

from simlib.mechanisms import MOD_DIR, compile_mechanisms
from simlib.tasks import user_errors

out = Path(snakemake.output.lib)
with user_errors():
    lib = compile_mechanisms(snakemake.params.mod_dir or MOD_DIR, output_dir=out.parent.parent,
                             coreneuron=snakemake.params.coreneuron)
with open(snakemake.log[0], "w") as log:
    print(f"compiled {lib}", file=log)
if Path(lib).resolve() != out.resolve():
    raise SystemExit(f"compile_mechanisms wrote {lib}, expected {out}")
