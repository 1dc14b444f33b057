"""The log of one simulation run: console logging once per process, plus the run's own log file."""

from __future__ import annotations

import logging
from contextlib import ExitStack, contextmanager

from simlib.fileio import atomic_path

FORMAT = "%(asctime)s [%(levelname)s] %(message)s"


@contextmanager
def run_log(log_file=None, *, enabled: bool = True):
    """Log simlib's messages to the console and, while the block runs, to `log_file`.

    The console handler is added once per process; the file handler is removed and closed when the
    block ends, so a second run in the same process does not write into the first run's file.
    `log_file` is written under a temporary name and moved into place when the block ends, also
    when the run failed (its log says how far it came); a killed run leaves the previous log.
    `enabled=False` (MPI ranks other than 0) only sets the level.
    """
    logger = logging.getLogger("simlib")
    logger.setLevel(logging.INFO)
    failure = None
    with ExitStack() as stack:
        if enabled:
            fmt = logging.Formatter(FORMAT)
            if not any(type(h) is logging.StreamHandler for h in logger.handlers):
                console = logging.StreamHandler()
                console.setFormatter(fmt)
                logger.addHandler(console)
            if log_file:
                handler = logging.FileHandler(stack.enter_context(atomic_path(log_file)), mode="w")
                handler.setFormatter(fmt)
                logger.addHandler(handler)
                # runs first on exit: the file is closed before it is moved into place
                stack.callback(handler.close)
                stack.callback(logger.removeHandler, handler)
        try:
            yield
        except Exception as exc:   # leave the stack normally, so that the failed run's log is kept
            failure = exc
    if failure is not None:
        raise failure
