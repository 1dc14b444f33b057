"""Run FilterNet from a config: stimulus movie -> LGN unit firing rates -> spike trains -> output files."""

from __future__ import annotations

import contextlib
import logging
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError
from simlib.fileio import atomic_path
from simlib.outputs import check_output_folders
from simlib.filternet.config import FilterNetConfig, read_filternet_config
from simlib.filternet.nodes import NodeColumns, read_node_table
from simlib.filternet.outputs import (
    RatesTable,
    spike_trains,
    write_rates_csv,
    write_rates_h5,
    write_spikes,
)
from simlib.filternet.stimuli import movie_from_input
from simlib.spikes import SpikeTrains

log = logging.getLogger("simlib.filternet")

# Seed used when neither the caller nor the config (`run.seed`) gives one. BMTK has no seed: it
# draws each cell's spike seed from numpy's global generator, so its runs are not reproducible.
DEFAULT_SEED = 0


@dataclass
class FilterNetResult:
    """What a FilterNet run computed and wrote.

    Attributes
    ----------
    output_dir : Path
    seed : int
        The run seed (see :func:`stream_seed` for the per-population seeds derived from it).
    rates : dict of RatesTable
        Firing rates by population (times in s, the evaluated frames).
    spikes : SpikeTrains
        Spike times (ms) by population and node id.
    files : list of Path
        Files written (rates, spikes, log).
    timings : dict
        Seconds spent per phase.
    """

    output_dir: Path
    seed: int
    rates: dict[str, RatesTable]
    spikes: SpikeTrains
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        return sum(t.node_ids.size for t in self.rates.values())


def stream_seed(seed: int, purpose: str, population: str) -> int:
    """An independent 32-bit seed for one purpose ('units', 'spikes') of one population.

    Derived from the run seed with :class:`numpy.random.SeedSequence`, so populations and purposes
    draw independent streams and adding a population changes no other population's result.
    """
    key = (zlib.crc32(purpose.encode()), zlib.crc32(population.encode()))
    return int(np.random.SeedSequence(int(seed), spawn_key=key).generate_state(1, dtype=np.uint32)[0])


def load_nodes(config: FilterNetConfig) -> dict[str, NodeColumns]:
    """Every node population of ``networks.nodes``, by name: columns (node-type columns joined) and their files.

    Read without pandas (:func:`simlib.filternet.nodes.read_node_table`), which would take longer to
    import than FilterNet takes to run the tutorial's LGN. Each population keeps the files its
    columns came from, named by :func:`~simlib.filternet.units.build_units` in its messages.

    Raises
    ------
    ConfigError
        The same population name in two node files.
    FormatError
        Unreadable or inconsistent node files.
    """
    from simlib.sonata.nodes import node_populations

    out, files = {}, {}
    for entry in config.nodes:
        for pop in node_populations(entry["nodes_file"]):
            if pop in out:
                raise ConfigError(f"{config.source}: networks.nodes: population '{pop}' appears in two node files "
                                  f"({files[pop]} and {entry['nodes_file']})")
            out[pop] = read_node_table(entry["nodes_file"], entry["node_types_file"], pop)
            files[pop] = entry["nodes_file"]
    return out


def _window(times_s: np.ndarray, options: dict) -> np.ndarray:
    """Frame indices kept by evaluation_options t_min/t_max (s, inclusive) and downsample."""
    tol = 1e-9 * max(1.0, float(np.max(np.abs(times_s)))) if times_s.size else 0.0
    keep = np.ones(times_s.size, dtype=bool)
    if options.get("t_min") is not None:
        keep &= times_s >= options["t_min"] - tol
    if options.get("t_max") is not None:
        keep &= times_s <= options["t_max"] + tol
    return np.flatnonzero(keep)[::options.get("downsample", 1)]


class _LogBuffer(logging.Handler):
    """Collects this run's log lines, written to ``log_file`` with the other outputs."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def run_filternet(config, *, seed: int | None = None, **variables) -> FilterNetResult:
    """Evaluate a FilterNet config: build the LGN units, play the movie, write rates and spikes.

    Everything is computed before any file is written, and the outputs (``rates_csv``,
    ``rates_h5``, ``spikes_h5``/``spikes_file``, ``spikes_csv``/``spikes_file_csv``, ``spikes_nwb``
    and ``log_file``) are then written together, atomically: an error leaves no partial file.

    Seeds: `seed`, else the config's ``run.seed``, else :data:`DEFAULT_SEED`. Units (jitter) and
    spikes of each population use :func:`stream_seed` of it.

    Spike node ids are the node ids of each population (BMTK writes its gids, equal to them for a
    single node population).

    Parameters
    ----------
    config : path, dict, SimulationConfig or FilterNetConfig
    seed : int, optional
    **variables
        ``${NAME}`` values for a config read from a file or dict.

    Raises
    ------
    ConfigError, FormatError, SimlibError
        Config, stimulus, node or filter-model problems, before any output is written.
    """
    t0 = time.perf_counter()
    cfg = config if isinstance(config, FilterNetConfig) else read_filternet_config(config, **variables)
    check_output_folders(_output_folders(cfg.output))
    from simlib.filternet import build_units, evaluate_rates, rates_to_spikes
    if seed is None:
        seed = cfg.seed if cfg.seed is not None else DEFAULT_SEED
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"run_filternet: seed: expected an integer >= 0, got {seed!r}")
    buffer = _LogBuffer()
    log.addHandler(buffer)
    previous_level = log.level
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        log.info("simlib FilterNet: %s (seed %d)", cfg.source, seed)
        (name, spec), = cfg.inputs.items()
        options = cfg.evaluation_options[name]
        movie = movie_from_input(spec, cfg.tstop_ms, f"{cfg.source}: inputs.{name}")
        log.info("stimulus '%s' (%s): %d frames of %d x %d pixels at %g Hz", name, spec["module"], movie.n_frames,
                 movie.frames.shape[1], movie.frames.shape[2], movie.frame_rate_hz)
        t_stim = time.perf_counter()
        nodes = load_nodes(cfg)
        if cfg.jitter is not None:
            log.info("conditions.jitter_lower/jitter_upper %s: not applied, as in BMTK (only nodes with jitter_lower "
                     "and jitter_upper columns are jittered)", cfg.jitter)
        # BMTK reads conditions.jitter_* but never applies it; simlib follows, so BMTK's configs (the tutorial's
        # carries 0.75-1.25) give BMTK's rates. build_units(jitter=...) still offers network-wide jitter.
        units = {pop: build_units(table.columns, cfg.filter_models_dir, seed=stream_seed(seed, "units", pop),
                                  cell_metrics_dir=cfg.cell_metrics_dir, source=table.source)
                 for pop, table in nodes.items()}
        t_units = time.perf_counter()
        log.info("built %d units in %s", sum(u.n_units for u in units.values()), ", ".join(
            f"{pop} ({u.n_units})" for pop, u in units.items()))
        rates, spikes = {}, {}
        for pop, pop_units in units.items():
            result = evaluate_rates(pop_units, movie, separable=options["separable"])
            keep = _window(np.asarray(result.times_s), options)
            if keep.size < 2:
                raise ConfigError(f"{cfg.source}: inputs.{name}.evaluation_options: t_min={options['t_min']}, "
                                  f"t_max={options['t_max']} (s) keep {keep.size} frame(s) of the movie's "
                                  f"0-{movie.duration_s:g} s; expected a window holding at least two frames")
            table = RatesTable(np.asarray(result.node_ids), np.asarray(result.times_s)[keep],
                               np.asarray(result.rates_hz)[keep])
            rates[pop] = table
            spikes[pop] = rates_to_spikes(table, stream_seed(seed, "spikes", pop))
        t_eval = time.perf_counter()
        trains = spike_trains(spikes)
        log.info("evaluated rates and spikes in %.2f s: %d spikes", t_eval - t_units, len(trains))
        files = _write_outputs(cfg, rates, trains, buffer)
    finally:
        log.removeHandler(buffer)
        log.setLevel(previous_level)
    timings = {"stimulus": t_stim - t0, "units": t_units - t_stim, "evaluate": t_eval - t_units,
               "write": time.perf_counter() - t_eval}
    return FilterNetResult(cfg.output.output_dir, int(seed), rates, trains, files, timings)


def _output_folders(out) -> dict[Path, str]:
    """``{folder: config key}`` of every output (output_dir first)."""
    folders = {out.output_dir: "output.output_dir"}
    for key, path in {**out.files(), "log_file": out.log_file}.items():
        if path:
            folders.setdefault(path.parent, f"output.{key}")
    return folders


def _write_outputs(cfg: FilterNetConfig, rates: dict, trains: SpikeTrains, buffer: _LogBuffer) -> list[Path]:
    """Write every configured output; all are moved into place only if all were written."""
    out = cfg.output
    targets = out.files()
    if not targets:
        log.warning("the config names no rates or spikes file (output.rates_csv, rates_h5, spikes_file, ...); "
                    "nothing but the log is written")
    log.info("writing %s", ", ".join(str(p) for p in targets.values()) or "no data files")
    out.output_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        tmp = {key: stack.enter_context(atomic_path(path)) for key, path in targets.items()}
        if "rates_csv" in tmp:
            write_rates_csv(tmp["rates_csv"], rates)
        if "rates_h5" in tmp:
            write_rates_h5(tmp["rates_h5"], rates, compression=out.compression)
        write_spikes(trains, h5=tmp.get("spikes_h5"), csv=tmp.get("spikes_csv"), nwb=tmp.get("spikes_nwb"),
                     compression=out.compression)
        if out.log_file:
            log_tmp = stack.enter_context(atomic_path(out.log_file))
            log.info("done")
            log_tmp.write_text("\n".join(buffer.lines) + "\n")
    return list(targets.values()) + ([out.log_file] if out.log_file else [])
