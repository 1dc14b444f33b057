"""The frame of every rule script (scripts/*.py): off-screen figures, a log file, one line per user error."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from simlib.errors import SimlibError


@contextlib.contextmanager
def rule_script(log_file=None) -> Iterator[Callable[[str], None]]:
    """Run the body of a rule script; yield ``log(message)``, which writes one line to ``log_file``.

    On entry matplotlib is set to draw off-screen (Agg): rules run without a display, and the
    figures are the same bytes everywhere. A :class:`SimlibError` (bad config or input file) ends
    the script with exit status 1 and one line ``error: <message>`` on stderr and in the log, no
    traceback; any other exception propagates with its traceback (a bug in simlib).

    Parameters
    ----------
    log_file : path of the rule's log (``snakemake.log[0]``), emptied on entry; None: no log.
    """
    _draw_off_screen()
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") if log_file else contextlib.nullcontext() as log:

        def write(message: str) -> None:
            if log is not None:
                print(message, file=log, flush=True)

        try:
            yield write
        except SimlibError as exc:
            write(f"error: {exc}")
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)


def _draw_off_screen() -> None:
    try:
        import matplotlib
    except ImportError:  # the NEURON stages' environment has no matplotlib, and draws nothing
        return
    matplotlib.use("Agg")
