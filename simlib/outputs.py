"""A run's outputs checked before it starts: every output folder writable, reports within run.max_report_gb."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from simlib.errors import ConfigError, OutputError
from simlib.fileio import folder_problem, remove_stale_temps, temp_path

log = logging.getLogger("simlib")

DEFAULT_MAX_REPORT_GB = 10.0
"""Default of ``run.max_report_gb``: reports of a run may hold at most this many GB (10^9 bytes), uncompressed."""


def check_output_folders(folders: Mapping) -> None:
    """Check that each folder can be written (or created), and remove temporary files of killed runs.

    Run it before a simulation starts, so that an output folder that cannot be written fails in
    seconds (with every such folder named), not after the run. Nothing is created: a file is
    written and removed in the folder, or in its nearest existing parent when it does not exist yet
    (``os.access`` would say yes to root even on a read-only file system).

    Parameters
    ----------
    folders : mapping
        ``{folder: what it holds}``, e.g. ``{"out": "output.output_dir"}``.

    Raises
    ------
    OutputError
        Folders that cannot be created or written, all in one message.
    """
    problems = []
    for folder, what in folders.items():
        folder = Path(folder).absolute()
        existing = next(p for p in (folder, *folder.parents) if p.exists() or p.is_symlink())
        try:
            if not existing.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
            probe = temp_path(existing / "write-check")
            os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            os.unlink(probe)
        except OSError as exc:
            problems.append(f"{folder} ({what}): {folder_problem(folder, exc)}")
            continue
        removed = remove_stale_temps(existing)
        if removed:
            log.info("removed %d temporary file(s) of an interrupted run from %s", len(removed), folder)
    if problems:
        raise OutputError(f"output folder{'s' if len(problems) > 1 else ''} not writable: " + "; ".join(problems))


def simulation_output_folders(config, extra_files: Mapping | None = None) -> dict[Path, str]:
    """The folders a simulation config writes to: ``{folder: config key}``.

    ``output.output_dir``, the folders of ``output.*_file*`` entries (spikes, log, rates; relative
    names are in output_dir), of every report's ``file_name`` and its ``contributions_dir``, and of
    `extra_files` (``{file: what}``, e.g. a ``--timings`` file).
    """
    output_dir = Path(config.output["output_dir"])
    folders = {output_dir: "output.output_dir"}

    def add(path, what):
        path = Path(path)
        folders.setdefault(path if path.is_absolute() else output_dir / path, what)

    for key, value in config.output.items():
        if "_file" in key and isinstance(value, str) and value:
            add(Path(value).parent, f"output.{key}")
    for name, spec in config.reports.items():
        file_name = spec.get("file_name", f"{name}.h5")
        if isinstance(file_name, str):
            add(Path(file_name).parent, f"reports.{name}.file_name")
        if isinstance(spec.get("contributions_dir"), str):
            add(spec["contributions_dir"], f"reports.{name}.contributions_dir")
    for path, what in (extra_files or {}).items():
        if path:
            add(Path(path).absolute().parent, what)
    return folders


def max_report_bytes(run: Mapping, source: str) -> float:
    """``run.max_report_gb`` in bytes (default :data:`DEFAULT_MAX_REPORT_GB`).

    Raises
    ------
    ConfigError
        Not a positive number.
    """
    value = run.get("max_report_gb", DEFAULT_MAX_REPORT_GB)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"{source}: run.max_report_gb: expected a positive number (GB), got {value!r}")
    return float(value) * 1e9


def check_report_size(sizes: Iterable[tuple[str, int]], run: Mapping, source: str) -> None:
    """Refuse a run whose reports would hold more than ``run.max_report_gb`` (uncompressed).

    Parameters
    ----------
    sizes : iterable of (file, bytes)
        Planned size of each report file: samples x 8 bytes (float64) plus its mapping.
    run : the config's ``run`` section.
    source : the config, for the message.

    Raises
    ------
    ConfigError
        The total exceeds the bound; the message gives the total and the largest files.
    """
    sizes = sorted(((str(path), int(n)) for path, n in sizes), key=lambda item: -item[1])
    limit = max_report_bytes(run, source)
    total = sum(n for _, n in sizes)
    if total <= limit:
        return
    largest = ", ".join(f"{path} {_gb(n)}" for path, n in sizes[:5]) + (", ..." if len(sizes) > 5 else "")
    raise ConfigError(f"{source}: run.max_report_gb: the reports would hold {_gb(total)} (uncompressed: {largest}), "
                      f"more than the limit of {limit / 1e9:g} GB; record fewer cells or sections, a longer "
                      f"report dt or a shorter run, or raise run.max_report_gb")


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.3g} GB"
