"""The log of one simulation run: console logging once per process, plus the run's own log file."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

FORMAT = "%(asctime)s [%(levelname)s] %(message)s"


@contextmanager
def run_log(log_file=None, *, enabled: bool = True):
    """Log simlib's messages to the console and, while the block runs, to `log_file`.

    The console handler is added once per process; the file handler is removed and closed when the
    block ends, so a second run in the same process does not write into the first run's file.
    `enabled=False` (MPI ranks other than 0) only sets the level.
    """
    logger = logging.getLogger("simlib")
    logger.setLevel(logging.INFO)
    handler = None
    if enabled:
        fmt = logging.Formatter(FORMAT)
        if not any(type(h) is logging.StreamHandler for h in logger.handlers):
            console = logging.StreamHandler()
            console.setFormatter(fmt)
            logger.addHandler(console)
        if log_file:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(log_file, mode="w")
            handler.setFormatter(fmt)
            logger.addHandler(handler)
    try:
        yield
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            handler.close()
