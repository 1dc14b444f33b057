"""The NEST kernel of one PointNet run: imported quietly, reset, and given resolution, threads and seed.

Only :mod:`simlib.pointnet` imports ``nest``, always through :func:`nest_module`, so importing
``simlib.pointnet`` itself is cheap and works without NEST installed. NEST keeps one kernel per
process; :func:`reset` empties it (``nest.ResetKernel``) before every run, so several runs in one
process are independent.
"""

from __future__ import annotations

import os

from simlib.errors import ConfigError, SimlibError

# NEST's own default rng_seed: BMTK never sets one, so runs without run.seed draw what BMTK's draw
NEST_DEFAULT_SEED = 143202461
MAX_SEED = 2**32 - 1


def nest_module():
    """The ``nest`` module, imported without its start-up banner (SimlibError if NEST is missing)."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    try:
        import nest
    except ImportError as exc:
        raise SimlibError(f"PointNet needs NEST (pip install nest-simulator): {exc}") from None
    return nest


def nest_error():
    """NEST's exception base class (every kernel error is one)."""
    return nest_module().NESTError


def nest_message(exc: BaseException) -> str:
    """NEST's message of an exception, on one line, with the error class name."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"


def check_threads(value, where: str) -> int:
    """A thread count: a whole number >= 1 (ConfigError naming ``where`` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ConfigError(f"{where}: expected a whole number of threads >= 1, got {value!r}")
    return int(value)


def check_seed(value, where: str) -> int:
    """A NEST ``rng_seed``: a whole number in 1..2^32-1 (NEST rejects 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not 1 <= value <= MAX_SEED:
        raise ConfigError(f"{where}: expected a whole number in 1..{MAX_SEED} (NEST's rng_seed; NEST rejects 0), "
                          f"got {value!r}")
    return int(value)


def reset(dt_ms: float, threads: int, seed: int):
    """Empty the NEST kernel and set resolution (ms), ``local_num_threads`` and ``rng_seed``; returns ``nest``."""
    nest = nest_module()
    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):     # NEST >= 3.9
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    try:
        nest.SetKernelStatus({"resolution": float(dt_ms), "local_num_threads": int(threads), "rng_seed": int(seed)})
    except nest.NESTError as exc:
        raise ConfigError(f"run: NEST rejects resolution {dt_ms} ms, {threads} threads, seed {seed}: "
                          f"{nest_message(exc)}") from None
    return nest
