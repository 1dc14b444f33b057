"""``results/manifest.json``: every result file with its SHA-256, the config, its seeds and the library versions.

Two runs of the same config give the same manifest, byte for byte, on the same software: the file
holds no time, host or absolute path. Log files (they hold times) and the compiled mechanisms
(binaries that name their build folder) are not listed; the mechanisms are identified by the
SHA-256 of their mod sources instead.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from simlib.fileio import atomic_path

NOT_LISTED = ("log.txt", ".snakemake_timestamp")
PACKAGES = ("simlib", "neuron", "nest-simulator", "mpich", "numpy", "scipy", "pandas", "h5py", "isal", "matplotlib",
            "pynwb", "hdmf", "jsonschema", "pyyaml", "snakemake")


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def result_files(results_dir, manifest_path=None) -> dict[str, str]:
    """``{path relative to the workflow folder: SHA-256}`` of every result file, sorted by path."""
    results_dir = Path(results_dir)
    skip = {Path(manifest_path).resolve()} if manifest_path else set()
    files = {}
    for path in sorted(results_dir.rglob("*")):
        rel = path.relative_to(results_dir.parent).as_posix()
        if (not path.is_file() or path.resolve() in skip or path.name in NOT_LISTED or path.name.startswith(".")
                or rel.startswith(f"{results_dir.name}/mechanisms/")):
            continue
        files[rel] = sha256(path)
    return files


def config_seeds(config: dict) -> dict[str, int]:
    """Every seed the config sets, by key path (the top-level ``seed`` stands in for entries without one)."""
    seeds = {"seed": config["seed"]}
    for section in ("networks", "spikes", "filternet", "simulations", "components"):
        for name, spec in (config.get(section) or {}).items():
            if isinstance(spec, dict) and "seed" in spec:
                seeds[f"{section}.{name}.seed"] = spec["seed"]
    return seeds


def versions() -> dict[str, str | None]:
    """Python's and each package's version (None when not installed)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def mod_sources_sha256(mod_dir) -> str:
    """One SHA-256 over the names and contents of the ``.mod`` files of ``mod_dir`` (sorted by name)."""
    digest = hashlib.sha256()
    for path in sorted(Path(mod_dir).glob("*.mod")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def write_manifest(path, config: dict, results_dir="results", mod_dir=None) -> Path:
    """Write the manifest of the results under ``results_dir`` (see the module docstring)."""
    from simlib.mechanisms import MOD_DIR

    data = {"results": result_files(results_dir, path), "config": config, "seeds": config_seeds(config),
            "mechanisms": {"mod_dir": str(mod_dir) if mod_dir else "simlib/mechanisms",
                           "sources_sha256": mod_sources_sha256(mod_dir or MOD_DIR)},
            "versions": versions()}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")
    return Path(path)
