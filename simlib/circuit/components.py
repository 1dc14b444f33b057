"""Component files of a config: a node's morphology or model file, an edge type's synaptic model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from simlib.errors import ConfigError, FormatError


def component_path(components: Mapping, key: str, name: str, where: str, suffix: str = "") -> Path:
    """A component file: ``components[key]/name`` (``name`` may be absolute; ``suffix`` added if missing).

    Raises
    ------
    ConfigError
        ``name`` is relative and the config has no ``components.<key>``.
    FormatError
        The file does not exist.
    """
    path = Path(name)
    if not path.is_absolute():
        if key not in components:
            raise ConfigError(f"{where}: '{name}' is relative but the config has no components.{key}")
        base = components[key]
        path = Path(base[0] if isinstance(base, list) else base) / name
    if not path.exists() and suffix and path.suffix != suffix:
        path = path.with_name(path.name + suffix)
    if not path.exists():
        raise FormatError(f"{where}: file not found: {path} (components.{key})")
    return path
