"""Make AllenSDK's own virtual environment on first use: allensdk_env.py VENV REQUIREMENTS.

The download rules call this before AllenSDK; it does nothing when VENV already holds the packages of
REQUIREMENTS (a marker file records their hash). Parallel jobs wait on a lock, so one of them builds it.
Standard library only: it runs with simlib's Python.
"""

import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

MARKER = ".simlib-allensdk-ready"


def ensure(venv: Path, requirements: Path) -> bool:
    """Build ``venv`` from ``requirements`` unless it is up to date; True when it was (re)built."""
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = venv / MARKER
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.with_name(f"{venv.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text().strip() == wanted:
            return False
        print(f"creating AllenSDK's environment in {venv} ({requirements})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(requirements)],
                       check=True)
        marker.write_text(wanted + "\n")
        return True


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        ensure(Path(sys.argv[1]), Path(sys.argv[2]))
    except subprocess.CalledProcessError as exc:
        sys.exit(f"allensdk_env: error: '{' '.join(exc.cmd)}' failed with status {exc.returncode}; AllenSDK's "
                 f"environment {sys.argv[1]} is not ready (the downloads need it, and network access to PyPI)")
