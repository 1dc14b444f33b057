"""Users' Python files (network scripts, functions files): run so that their errors name the file and line."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from simlib.errors import ConfigError, SimlibError


def load_user_module(path, what: str, *, source: str | None = None, reuse: bool = False) -> ModuleType:
    """Execute a user's Python file as a module of its own and return the module.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        What the file is, for messages ("network script", "functions file").
    source : str, optional
        Where the file was named (e.g. ``"sim.json: components.functions_file"``), put before messages.
    reuse : bool
        Return the module already loaded from this file, if any, instead of running the file again
        (a functions file registers its functions once per process).

    Raises
    ------
    ConfigError
        The file is missing, has a syntax error, or raises while it runs; the message names the file,
        the line (in the user's file) and the error.
    """
    path = Path(path)
    prefix = f"{source}: " if source else ""
    if not path.is_file():
        raise ConfigError(f"{prefix}{path}: {what} not found")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    name = f"simlib_user_{re.sub(r'[^0-9a-zA-Z]+', '_', what)}_{digest}"
    if reuse and name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # while it runs too: dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a user's file may raise (or exit) anything; report it with the file and line
        sys.modules.pop(name, None)
        raise ConfigError(prefix + user_error(path, f"loading the {what}", exc)) from exc
    return module


def call_user_function(path, what: str, fn: Callable, *args, **kwargs) -> Any:
    """Call a function defined in a user's file; an error that is not simlib's names the file and line.

    Errors simlib raises (:class:`~simlib.errors.SimlibError`) already say what is wrong and pass
    through unchanged.

    Raises
    ------
    ConfigError
        The function raised another exception (``<path>: line N: <what> failed: <type>: <message>``).
    """
    try:
        return fn(*args, **kwargs)
    except SimlibError:
        raise
    except Exception as exc:
        raise ConfigError(user_error(Path(path), what, exc)) from exc


def user_error(path: Path, action: str, exc: BaseException) -> str:
    """``<path>: line N: <action> failed: <type>: <message>``, N the last line of `path` in the traceback."""
    line = _user_line(path, exc)
    detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    place = f"{path}: line {line}" if line is not None else str(path)
    return f"{place}: {action} failed: {type(exc).__name__}: {detail}"


def _user_line(path: Path, exc: BaseException) -> int | None:
    target = path.resolve()

    def same(filename) -> bool:
        try:
            return bool(filename) and Path(filename).resolve() == target
        except (OSError, ValueError):
            return False

    if isinstance(exc, SyntaxError) and same(exc.filename):
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if same(frame.f_code.co_filename):
            line = lineno  # the deepest call in the user's file
    return line
