"""Session-wide builds of the mechanism libraries, shared by every test of this folder.

Compiling is the slow part (about 20 s plain and 50 s with CoreNEURON on 2 cores), so each
library is built at most once per session, on first use. NEURON keeps every library it loads
for the life of the process and refuses a second library with the same mechanism names, so
tests never load a library into the pytest process: they run NEURON in subprocesses.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def parity_traces(nrnmech, bmtk_nrnmech, tmp_path_factory):
    """Traces of mech_protocols.py with simlib's and with BMTK's library, run side by side."""
    out = tmp_path_factory.mktemp("parity")
    runs = {}
    for side, lib in (("simlib", nrnmech), ("bmtk", bmtk_nrnmech)):
        runs[side] = subprocess.Popen([sys.executable, str(HERE / "mech_protocols.py"), str(lib), str(out / f"{side}.npz")],
                                      cwd=out, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for side, proc in runs.items():
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            pytest.fail(f"mech_protocols.py with the {side} library failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return {side: dict(np.load(out / f"{side}.npz")) for side in runs}
