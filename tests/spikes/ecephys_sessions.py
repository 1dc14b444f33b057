"""Small NWB files in the layout of the Allen Visual Coding Neuropixels sessions, good and broken.

Imported by the ``ecephys_probe`` tests (``tests/spikes`` is on ``sys.path`` while pytest runs them).
Every file is written with pynwb, so its HDF5 layout is the one pynwb gives the Allen sessions:

- ``/general/extracellular_ephys/electrodes``: ``id`` (channel ids, int64), ``location`` (area
  acronym, str), ``x``/``y``/``z``, ``group``, ``group_name``, ``probe_vertical_position``, ...
- ``/units``: ``id`` (unit ids, int64), ``spike_times`` (s, float64, sorted per unit) with
  ``spike_times_index``, ``peak_channel_id`` (int64, an electrode id), ``firing_rate``, ``quality``, ...
- ``/intervals/drifting_gratings_presentations`` (and ``flashes_presentations``): ``start_time``,
  ``stop_time`` (s), ``orientation`` (deg), ``temporal_frequency`` (Hz), ``stimulus_name``, ...

Unit and channel ids are derived from the session id, so several sessions never share ids unless
asked to (``first_unit_id``/``first_channel_id``).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pynwb
from pynwb.epoch import TimeIntervals

# Three sessions of the Visual Coding Neuropixels release, with their own seeds and unit counts.
SESSIONS: dict[int, dict] = {
    715093703: {"seed": 1, "n_units_by_area": {"VISl": 12, "CA1": 8, "VISp": 6}},
    798911424: {"seed": 2, "n_units_by_area": {"VISl": 5, "CA1": 10, "LGd": 4}},
    754829445: {"seed": 3, "n_units_by_area": {"VISp": 9, "CA1": 3, "VISl": 7, "grey": 2}},
}

ORIENTATIONS_DEG = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
TEMPORAL_FREQUENCIES_HZ = (1.0, 2.0, 4.0, 8.0, 15.0)
BROKEN_KINDS = ("no_units", "no_electrodes_column", "not_nwb", "truncated", "empty_intervals")

_FLASH_BLOCK_S = 2.0        # flashes first, as a separate stimulus block, then the gratings
_FLASH_S = 0.25
_START = datetime.datetime(2019, 1, 19, 8, 54, 18, tzinfo=datetime.timezone.utc)


def write_session(path, session_id: int, *, seed: int,
                  n_units_by_area: dict[str, int] | None = None, duration_s: float = 20.0,
                  rate_hz: tuple[float, float] = (2.0, 20.0), gratings: bool = True,
                  n_presentations: int = 12, n_blank: int = 0, flashes: bool = True,
                  first_unit_id: int | None = None, first_channel_id: int | None = None,
                  peak_channel_column: bool = True, units: bool = True) -> Path:
    """Write one session: probeA electrodes, units with Poisson spike trains, stimulus tables.

    Parameters
    ----------
    path : str or Path
        The NWB file to write (overwritten).
    session_id : int
        The NWB ``identifier`` (and ``session_id``); also picks the default unit/channel ids.
    seed : int
        Seed of the spike trains, firing rates, quality labels and presentation order.
    n_units_by_area : dict of str to int, optional
        Units per area acronym, in probe order; default ``{"VISl": 12, "CA1": 8, "VISp": 6}``.
        Two channels per area plus two ``grey`` channels without units make the electrodes table.
    duration_s : float
        Length of the recording (s); spikes lie in ``[0, duration_s)``.
    rate_hz : (float, float)
        Range of the per-unit Poisson rates (Hz), drawn uniformly.
    gratings : bool
        Write ``intervals/drifting_gratings_presentations``.
    n_presentations : int
        Grating presentations (0 writes the table with no rows); orientations and temporal
        frequencies cycle through ``ORIENTATIONS_DEG`` x ``TEMPORAL_FREQUENCIES_HZ`` in seeded order.
    n_blank : int
        Extra blank-sweep presentations with NaN ``orientation`` and ``temporal_frequency``.
    flashes : bool
        Write ``intervals/flashes_presentations`` (``color`` -1.0/1.0) in the first 2 s.
    first_unit_id, first_channel_id : int, optional
        First unit / channel id; default ``950000000`` / ``850000000`` plus
        ``1000 * (session_id % 1000)``.
    peak_channel_column, units : bool
        ``False`` leaves out the units' ``peak_channel_id`` column / the whole units table.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        For a negative count, no unit at all, an empty rate range or a duration too short
        for the stimulus blocks.
    """
    areas = dict(n_units_by_area) if n_units_by_area is not None else {"VISl": 12, "CA1": 8, "VISp": 6}
    bad = {a: n for a, n in areas.items() if n < 0}
    if bad or n_presentations < 0 or n_blank < 0:
        raise ValueError(f"counts must be >= 0, got units {bad}, n_presentations={n_presentations}, "
                         f"n_blank={n_blank}")
    if units and sum(areas.values()) == 0:
        raise ValueError(f"a session needs at least one unit, got n_units_by_area={areas}; "
                         "write_broken(path, 'no_units') writes a file without a units table")
    if not 0 < rate_hz[0] <= rate_hz[1]:
        raise ValueError(f"rate_hz must be (low, high) with 0 < low <= high, got {rate_hz}")
    if duration_s <= _FLASH_BLOCK_S + 1.0:
        raise ValueError(f"duration_s must exceed {_FLASH_BLOCK_S + 1.0} s, got {duration_s}")
    unit0 = 950_000_000 + 1000 * (session_id % 1000) if first_unit_id is None else first_unit_id
    chan0 = 850_000_000 + 1000 * (session_id % 1000) if first_channel_id is None else first_channel_id
    # One stream per part, so adding presentations does not change the spike trains.
    rng_units, rng_stim = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))

    nwb = pynwb.NWBFile(session_description=f"simlib test session {session_id} (synthetic)",
                        identifier=str(session_id), session_id=str(session_id),
                        session_start_time=_START, institution="Allen Institute for Brain Science (synthetic)")
    channel_ids, channel_area = _add_electrodes(nwb, areas, chan0)
    if units:
        _add_units(nwb, areas, channel_ids, channel_area, unit0, rng_units, duration_s, rate_hz,
                   peak_channel_column)
    n_flashes = _add_flashes(nwb) if flashes else 0
    if gratings:
        _add_gratings(nwb, rng_stim, duration_s, n_presentations, n_blank, first_id=n_flashes)
    path = Path(path)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def write_sessions(directory, sessions: dict[int, dict] | None = None, **kwargs) -> list[Path]:
    """Write ``<session_id>.nwb`` for each of ``sessions`` (default ``SESSIONS``) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [write_session(directory / f"{sid}.nwb", sid, **{**params, **kwargs})
            for sid, params in (SESSIONS if sessions is None else sessions).items()]


def write_broken(path, kind: str, *, session_id: int = 715093703, seed: int = 0) -> Path:
    """Write a file that an NWB units reader must reject (or, for ``empty_intervals``, find empty).

    Parameters
    ----------
    path : str or Path
        The file to write (overwritten).
    kind : str
        One of ``BROKEN_KINDS``: ``no_units`` (electrodes and stimuli, no units table),
        ``no_electrodes_column`` (units without ``peak_channel_id``), ``not_nwb`` (an HDF5 file
        with SONATA-like spikes and no NWB attributes), ``truncated`` (a good session cut to half
        its bytes), ``empty_intervals`` (``drifting_gratings_presentations`` with zero rows).
    session_id, seed : int
        As in ``write_session``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        For an unknown ``kind``; the message lists the accepted ones.
    """
    path = Path(path)
    if kind == "no_units":
        return write_session(path, session_id, seed=seed, units=False)
    if kind == "no_electrodes_column":
        return write_session(path, session_id, seed=seed, peak_channel_column=False)
    if kind == "empty_intervals":
        return write_session(path, session_id, seed=seed, n_presentations=0)
    if kind == "not_nwb":
        with h5py.File(path, "w") as f:
            f.create_dataset("spikes/VISl/node_ids", data=np.array([0, 1, 1], dtype=np.uint64))
            f.create_dataset("spikes/VISl/timestamps", data=np.array([5.0, 7.5, 12.0]))
        return path
    if kind == "truncated":
        write_session(path, session_id, seed=seed)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return path
    raise ValueError(f"unknown broken-file kind {kind!r}; accepted: {', '.join(BROKEN_KINDS)}")


def expected_units(path) -> pd.DataFrame:
    """The units of a good session read back with pynwb, joined with their electrode's columns.

    Returns
    -------
    pandas.DataFrame
        Index ``unit_id``; the units columns (``spike_times`` as float64 arrays in s,
        ``peak_channel_id``, ``firing_rate``, ``quality``, ...) plus the electrode's ``location``,
        ``probe_vertical_position`` and ``group_name``, and the file's ``session_id``.
    """
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        channels = nwb.electrodes.to_dataframe()[["location", "probe_vertical_position", "group_name"]]
        session = int(nwb.identifier)
    units = units.join(channels, on="peak_channel_id")
    units.index = units.index.astype(np.int64).rename("unit_id")
    units["spike_times"] = [np.asarray(t, dtype=np.float64) for t in units["spike_times"]]
    units["session_id"] = session
    return units


def expected_presentations(path, name: str = "drifting_gratings_presentations") -> pd.DataFrame:
    """The stimulus table ``intervals/<name>`` read back with pynwb (times in s)."""
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        table = io.read().intervals[name].to_dataframe()
    return table


# --- parts of a session

def _add_electrodes(nwb: pynwb.NWBFile, areas: dict[str, int], chan0: int) -> tuple[list[int], list[str]]:
    """Two channels per area, then two grey channels above the brain, as on a probe's shank."""
    device = nwb.create_device(name="probeA", description="Neuropixels 1.0 (synthetic)")
    group = nwb.create_electrode_group(name="probeA", description="Neuropixels probe A",
                                       location="See electrode locations", device=device)
    for name, desc in [("probe_vertical_position", "Depth of the channel on the probe (um)"),
                       ("probe_horizontal_position", "Horizontal position on the probe (um)"),
                       ("probe_id", "Id of the probe"), ("local_index", "Index of the channel on the probe"),
                       ("valid_data", "Whether the channel carries usable data")]:
        nwb.add_electrode_column(name=name, description=desc)
    labels = [a for a in areas for _ in range(2)] + ["grey", "grey"]
    channel_ids = [chan0 + k for k in range(len(labels))]
    for k, (cid, area) in enumerate(zip(channel_ids, labels)):
        nwb.add_electrode(id=cid, location=area, group=group, x=float(8000 - 20 * k), y=float(3000 - 20 * k),
                          z=7000.0, imp=np.nan, filtering="AP band 500 Hz highpass",
                          probe_vertical_position=20 * k, probe_horizontal_position=[43, 11][k % 2],
                          probe_id=0, local_index=k, valid_data=True)
    return channel_ids, labels


def _add_units(nwb: pynwb.NWBFile, areas: dict[str, int], channel_ids: list[int], channel_area: list[str],
               unit0: int, rng: np.random.Generator, duration_s: float, rate_hz: tuple[float, float],
               peak_channel_column: bool) -> None:
    """Homogeneous Poisson units, drawn for all units at once and sorted per unit."""
    unit_area = [a for a, n in areas.items() for _ in range(n)]
    n = len(unit_area)
    rates = rng.uniform(rate_hz[0], rate_hz[1], n)
    counts = rng.poisson(rates * duration_s)
    owner = np.repeat(np.arange(n), counts)
    times = rng.uniform(0.0, duration_s, counts.sum())
    order = np.lexsort((times, owner))
    times, amplitudes = times[order], rng.lognormal(np.log(1e-4), 0.3, counts.sum())
    bounds = np.concatenate([[0], np.cumsum(counts)])
    quality = np.where(rng.random(n) < 0.85, "good", "noise")
    snr = rng.uniform(1.0, 6.0, n)
    # Units of an area sit in turn on that area's channels.
    by_area = {a: [c for c, ca in zip(channel_ids, channel_area) if ca == a] for a in areas}
    seen: dict[str, int] = {}
    peak = []
    for area in unit_area:
        peak.append(by_area[area][seen.get(area, 0) % len(by_area[area])])
        seen[area] = seen.get(area, 0) + 1
    columns = [("firing_rate", "Mean firing rate (Hz)"), ("quality", "Curation label"),
               ("snr", "Signal-to-noise ratio"), ("cluster_id", "Kilosort cluster"),
               ("local_index", "Index of the unit on the probe"),
               ("spike_amplitudes", "Amplitude of each spike (V)")]
    if peak_channel_column:
        columns.insert(0, ("peak_channel_id", "Id of the channel with the largest waveform"))
    for name, desc in columns:
        nwb.add_unit_column(name=name, description=desc, index=(name == "spike_amplitudes"))
    for k in range(n):
        spikes = slice(bounds[k], bounds[k + 1])
        row = {"id": unit0 + k, "spike_times": times[spikes], "firing_rate": float(counts[k] / duration_s),
               "quality": str(quality[k]), "snr": float(snr[k]), "cluster_id": k, "local_index": k,
               "spike_amplitudes": amplitudes[spikes]}
        if peak_channel_column:
            row["peak_channel_id"] = peak[k]
        nwb.add_unit(**row)


def _add_flashes(nwb: pynwb.NWBFile) -> int:
    """Alternating black and white flashes; returns their number."""
    table = TimeIntervals(name="flashes_presentations", description="Presentation times and stimuli")
    table.add_column(name="stimulus_name", description="Name of the stimulus")
    table.add_column(name="stimulus_block", description="Block of the stimulus")
    table.add_column(name="color", description="Full-field luminance, -1 black, 1 white")
    starts = np.arange(0.0, _FLASH_BLOCK_S, 2 * _FLASH_S)
    for k, start in enumerate(starts):
        table.add_interval(start_time=float(start), stop_time=float(start + _FLASH_S),
                           stimulus_name="flashes", stimulus_block=1.0, color=[-1.0, 1.0][k % 2])
    nwb.add_time_intervals(table)
    return len(starts)


def _add_gratings(nwb: pynwb.NWBFile, rng: np.random.Generator, duration_s: float,
                  n_presentations: int, n_blank: int, first_id: int) -> None:
    """Presentations of 2/3 of a slot followed by grey, after the flashes block.

    Row ids continue those of the flashes, as the stimulus_presentation_id of the Allen tables does.
    """
    conditions = [(o, t) for t in TEMPORAL_FREQUENCIES_HZ for o in ORIENTATIONS_DEG]
    # A step of 9 (coprime with the 40 conditions) visits every orientation and frequency early on.
    picked = [conditions[(k * 9) % len(conditions)] for k in range(n_presentations)]
    picked += [(np.nan, np.nan)] * n_blank
    picked = [picked[i] for i in rng.permutation(len(picked))]
    table = TimeIntervals(name="drifting_gratings_presentations", description="Presentation times and stimuli")
    names = [("stimulus_name", "Name of the stimulus"), ("stimulus_block", "Block of the stimulus"),
             ("orientation", "Orientation of the grating (deg)"),
             ("temporal_frequency", "Temporal frequency of the grating (Hz)"),
             ("spatial_frequency", "Spatial frequency (cycles/deg)"), ("contrast", "Michelson contrast")]
    if not picked:
        # hdmf infers a column's dtype from its first row; give the empty table typed columns.
        for (name, desc), empty in zip(names, [np.array([], dtype=str)] + [np.array([], dtype=float)] * 5):
            table.add_column(name=name, description=desc, data=empty)
        nwb.add_time_intervals(table)
        return
    for name, desc in names:
        table.add_column(name=name, description=desc)
    slot = (duration_s - _FLASH_BLOCK_S - 1.0) / len(picked)
    for k, (ori, tf) in enumerate(picked):
        start = _FLASH_BLOCK_S + 1.0 + k * slot
        table.add_interval(id=first_id + k, start_time=start, stop_time=start + 2.0 * slot / 3.0,
                           stimulus_name="drifting_gratings",
                           stimulus_block=2.0, orientation=float(ori), temporal_frequency=float(tf),
                           spatial_frequency=0.04, contrast=0.8)
    nwb.add_time_intervals(table)
