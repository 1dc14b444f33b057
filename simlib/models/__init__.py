"""Ready-made network models (the tutorials' networks) and the registry the workflow uses."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable

from simlib.errors import ConfigError
from simlib.models.l4 import build_l4
from simlib.userfiles import call_user_function, load_user_module

MODELS: dict[str, Callable] = {"l4_tutorial": build_l4}


def build_model(name: str, output_dir, seed: int, **params) -> list[str]:
    """Build a registered network model into `output_dir`; returns the written file names."""
    if name not in MODELS:
        raise ConfigError(f"network model '{name}' unknown; accepted: {', '.join(sorted(MODELS))}")
    return MODELS[name](output_dir, seed=seed, **params)


def build_from_script(script, output_dir, seed: int, **params) -> list[str]:
    """Run a user network script defining ``build_network(output_dir, seed, **params)``.

    Raises
    ------
    ConfigError
        The script is missing, defines no ``build_network``, does not accept `params`, or has a
        syntax error or raises (other than a simlib error) while it is loaded or builds; the file and
        line are named.
    """
    script = Path(script)
    module = load_user_module(script, "network script")
    fn = getattr(module, "build_network", None)
    if not callable(fn):
        raise ConfigError(f"{script}: expected a function build_network(output_dir, seed, **params)")
    accepted = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    if "compression" in params and "compression" not in accepted and not takes_any:
        params.pop("compression")  # the script's own save() calls choose their compression
    unknown = [k for k in params if k not in accepted and not takes_any]
    if unknown:
        raise ConfigError(f"{script}: build_network() takes no parameter(s) {unknown}; "
                          f"it accepts {[k for k in accepted if k not in ('output_dir', 'seed')]}")
    return call_user_function(script, "build_network()", fn, str(output_dir), seed=seed, **params) or []
