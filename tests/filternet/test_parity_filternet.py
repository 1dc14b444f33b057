"""Parity with bmtk 1.2.0's FilterNet (lgnmodel run in-process): kernels, receptive fields, rates, spont rates."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simlib.errors import ConfigError
from simlib.filternet import (
    Movie,
    build_units,
    evaluate_rates,
    gaussian_filter_matrix,
    spont_rate_from_cell_metrics,
    temporal_kernel,
)

pytestmark = pytest.mark.parity
_WHY = "bmtk (the reference implementation) is not installed"
bmtk_lgn = pytest.importorskip("bmtk.simulator.filternet.lgnmodel", reason=_WHY)
bmtk_loaders = pytest.importorskip("bmtk.simulator.filternet.default_setters.cell_loaders", reason=_WHY)
bmtk_metrics = pytest.importorskip("bmtk.simulator.filternet.lgnmodel.cellmetrics", reason=_WHY)
bmtk_movie = pytest.importorskip("bmtk.simulator.filternet.lgnmodel.movie", reason=_WHY)
bmtk_spatial = pytest.importorskip("bmtk.simulator.filternet.lgnmodel.spatialfilter", reason=_WHY)
bmtk_temporal = pytest.importorskip("bmtk.simulator.filternet.lgnmodel.temporalfilter", reason=_WHY)

BMTK = Path(bmtk_lgn.__file__).parents[3]
MODEL_FILES = sorted((BMTK / "utils" / "scripts").glob("*/filter_models/*.json"))
FILTERNET_MODELS = sorted(p.stem for p in (BMTK / "utils" / "scripts" / "filternet" / "filter_models").glob("*.json"))
TWO_SUBUNIT = [("sONsOFF_001", "sOFF_TF4", "sON_TF4"), ("sONtOFF_001", "tOFF_TF8", "sON_TF4")]
# BMTK's default drifting-grating grid for cpd 0.04: 120 x 240 degrees at 2.5 degrees per pixel
GRATING_ROWS, GRATING_COLS = np.linspace(0, 120, 48), np.linspace(0, 240, 96)
FLASH_ROWS, FLASH_COLS = np.arange(120.0), np.arange(240.0)     # the tutorial's 120 x 240 pixel flash


def test_bmtk_ships_the_expected_models():
    assert len(MODEL_FILES) >= 32 and len(FILTERNET_MODELS) == 16


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_kernels_equal_bmtks_exactly(path):
    params = json.loads(path.read_text())
    for delays in (params["opt_delays"], [3, 40], [10.7, 12.2]):
        ours = temporal_kernel(params["opt_wts"], params["opt_kpeaks"], delays)
        theirs = bmtk_temporal.TemporalFilterCosineBump(params["opt_wts"], params["opt_kpeaks"], delays).kernel_data
        assert ours.shape == theirs.shape
        assert np.array_equal(ours, theirs)           # bit for bit


def test_random_kernels_equal_bmtks_exactly():
    rng = np.random.default_rng(7)
    for _ in range(30):
        w = [rng.uniform(0.1, 20), rng.uniform(-15, 5)]
        kp, d = np.sort(rng.uniform(2, 200, 2)), np.sort(rng.uniform(0, 100, 2))
        assert np.array_equal(temporal_kernel(w, kp, d), bmtk_temporal.TemporalFilterCosineBump(w, list(kp), list(d)).kernel_data)


def test_receptive_fields_equal_bmtks():
    rng = np.random.default_rng(0)
    odd = (np.arange(31.0) * 1.5 + 3, np.arange(40.0) * 1.5 - 2)
    grids = [(FLASH_ROWS, FLASH_COLS), (GRATING_ROWS, GRATING_COLS), odd]
    for case in range(60):
        rows, cols = grids[case % 3]
        x, y = rng.uniform(cols[0] - 1, cols[-1] + 1), rng.uniform(rows[0] - 1, rows[-1] + 1)
        sigma = tuple(rng.uniform(0.1, 9, 2) / 3) if case % 2 else (rng.choice([1.0, 3.0, 6.0, 10.0]) / 3,) * 2
        rotation = rng.uniform(-180, 180) if case % 4 == 0 else 0.0
        theirs = bmtk_spatial.GaussianSpatialFilter(translate=(x, y), sigma=sigma, origin=(0.0, 0.0), rotation=rotation)
        theirs = theirs.get_kernel(rows, cols, threshold=-1).full()
        ours = gaussian_filter_matrix([x], [y], [sigma], [rotation], rows, cols).toarray().reshape(theirs.shape)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * theirs.max())


def _bmtk_rates(props: dict, model: str, dynamics: str, frames, rows, cols, frame_rate_hz=1000.0, non_dom=None,
                fn=None, separable=True):
    """Rates of one node from bmtk's own cell loader and cursor."""
    folder = BMTK / "utils" / "scripts" / "filternet" / "filter_models"
    params = json.loads((folder / f"{dynamics}.json").read_text())
    non_dom_params = json.loads((folder / f"{non_dom}.json").read_text()) if non_dom else None
    cell = bmtk_loaders.default_cell_loader(fn.BmtkNode(props, non_dom_params), ("lgnmodel", model), params)
    movie = bmtk_movie.Movie(frames, row_range=rows, col_range=cols, frame_rate=frame_rate_hz)
    times, rates = cell.evaluate(movie, separable=separable)
    return np.asarray(times), np.asarray(rates, dtype=float)


def _population(rng, rows, cols):
    """One node per packaged model plus the two two-subunit cells, at random places and sizes."""
    records = []
    for i, model in enumerate(FILTERNET_MODELS):
        records.append(dict(node_id=i, model=model, dynamics=model, non_dom=None,
                            x=rng.uniform(cols[0], cols[-1]), y=rng.uniform(rows[0], rows[-1]),
                            spatial_size=rng.choice([1.0, 3.0, 6.0, 10.0]), spont_fr=rng.uniform(0.5, 5.0),
                            spatial_rotation=30.0 if i % 5 == 0 else 0.0))
    for j, (model, dominant, non_dominant) in enumerate(TWO_SUBUNIT):
        records.append(dict(node_id=100 + j, model=model, dynamics=dominant, non_dom=non_dominant,
                            x=rng.uniform(20, cols[-1] - 20), y=rng.uniform(20, rows[-1] - 20), spatial_size=6.0,
                            tuning_angle=rng.uniform(0, 360), sf_sep=rng.uniform(2, 8), spatial_rotation=0.0))
    return records


def _simlib_rates(records, frames, rows, cols, frame_rate_hz=1000.0, separable=True):
    nodes = pd.DataFrame([{**{k: v for k, v in r.items() if k not in ("model", "dynamics", "non_dom")},
                           "model_template": f"lgnmodel:{r['model']}", "dynamics_params": f"{r['dynamics']}.json",
                           "non_dom_params": f"{r['non_dom']}.json" if r["non_dom"] else None} for r in records])
    units = build_units(nodes, BMTK / "utils" / "scripts" / "filternet" / "filter_models")
    return evaluate_rates(units, Movie(frames, frame_rate_hz, rows, cols), separable=separable)


def _flash(n_frames=1000, on=200, off=700):
    frames = np.zeros((n_frames, FLASH_ROWS.size, FLASH_COLS.size))
    frames[on:off] = 1.0
    return frames


@pytest.mark.parametrize("stimulus", ["flash", "grating"])
def test_rates_equal_bmtks_for_every_packaged_model(fn, stimulus):
    """Every filter model bmtk ships (and both two-subunit cells): rates at 1000 Hz equal bmtk's."""
    if stimulus == "flash":
        rows, cols, frames = FLASH_ROWS, FLASH_COLS, _flash()
    else:
        rows, cols = GRATING_ROWS, GRATING_COLS
        frames = fn.grating_frames(np.arange(1000) / 1000.0, rows, cols, cpd=0.04, tf_hz=4.0, theta_deg=45.0,
                                   contrast=0.8, grey_s=0.1)
    records = _population(np.random.default_rng(3), rows, cols)
    ours = _simlib_rates(records, frames, rows, cols)
    for j, r in enumerate(records):
        props = {k: r[k] for k in ("x", "y", "spatial_size", "spont_fr", "spatial_rotation", "tuning_angle", "sf_sep")
                 if k in r}
        times, theirs = _bmtk_rates(props, r["model"], r["dynamics"], frames, rows, cols, non_dom=r["non_dom"], fn=fn)
        np.testing.assert_allclose(ours.times_s, times, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.rates_hz[:, j], theirs, rtol=1e-6, atol=1e-6, err_msg=r["model"])
        assert theirs.max() > 2.0                # each model responds to the stimulus


def test_rates_equal_bmtks_default_non_separable_evaluation(fn):
    """BMTK's default (space-time kernel, Python loop per frame) cursor on a short movie, against both simlib paths."""
    rows, cols = np.arange(30.0), np.arange(40.0)
    frames = fn.grating_frames(np.arange(200) / 1000.0, rows, cols, cpd=0.08, tf_hz=8.0, grey_s=0.02)
    records = [dict(node_id=0, model="sON_TF8", dynamics="sON_TF8", non_dom=None, x=20.3, y=14.6, spatial_size=1.0,
                    spont_fr=3.0),
               dict(node_id=1, model="sONtOFF_001", dynamics="tOFF_TF8", non_dom="sON_TF4", x=18.0, y=15.0,
                    spatial_size=1.0, tuning_angle=20.0, sf_sep=4.0)]
    ours = {separable: _simlib_rates(records, frames, rows, cols, separable=separable) for separable in (True, False)}
    for j, r in enumerate(records):
        props = {k: r[k] for k in ("x", "y", "spatial_size", "spont_fr", "tuning_angle", "sf_sep") if k in r}
        times, theirs = _bmtk_rates(props, r["model"], r["dynamics"], frames, rows, cols, non_dom=r["non_dom"], fn=fn,
                                    separable=False)
        n = min(times.size, frames.shape[0])     # BMTK's float time grid may add one sample at the end
        assert theirs.max() > 2.0
        for result in ours.values():
            np.testing.assert_allclose(result.rates_hz[:n, j], theirs[:n], rtol=1e-6, atol=1e-6)


def test_bmtk_1_2_includes_pr_375_and_simlib_is_exact_across_frame_rates(fn):
    """bmtk 1.2.0 already rescales by 1000 / frame_rate (PR #375): its 500 Hz flash response is not halved,
    but it samples the kernel at the frame times, so it differs from its own 1000 Hz response by a few
    percent of the peak. simlib sums the 1 ms kernel over each frame: exactly the 1000 Hz rates."""
    rows, cols = np.arange(40.0), np.arange(60.0)
    props = dict(x=30.0, y=20.0, spatial_size=4.0, spont_fr=2.0)
    out = {}
    for rate in (1000.0, 500.0):
        t_ms = np.arange(int(rate)) * 1000.0 / rate
        frames = np.broadcast_to(((t_ms >= 200) & (t_ms < 600)).astype(float)[:, None, None], (t_ms.size, 40, 60))
        frames = frames.copy()
        records = [dict(node_id=0, model="sON_TF8", dynamics="sON_TF8", non_dom=None, **props)]
        out[rate] = (_bmtk_rates(props, "sON_TF8", "sON_TF8", frames, rows, cols, rate, fn=fn)[1],
                     _simlib_rates(records, frames, rows, cols, rate).rates_hz[:, 0])
    (bmtk_1k, ours_1k), (bmtk_500, ours_500) = out[1000.0], out[500.0]
    peak = bmtk_1k.max()
    assert np.abs(bmtk_500 - bmtk_1k[::2]).max() < 0.05 * peak          # not proportional to the frame rate
    assert np.abs(bmtk_500 - bmtk_1k[::2]).max() > 1e-3 * peak          # ... but not frame-rate exact either
    np.testing.assert_allclose(ours_500, ours_1k[::2], rtol=1e-12, atol=1e-12)
    assert np.abs(ours_500 - bmtk_500).max() < 0.05 * peak


def test_spontaneous_rates_from_bmtks_cell_metrics():
    folder = BMTK / "simulator" / "filternet" / "lgnmodel" / "cell_metrics"
    for cell_type in ("sON", "sOFF", "tON", "tOFF"):
        theirs = bmtk_metrics.get_data_metrics_for_each_subclass(cell_type)
        for tf, metrics in theirs.items():
            assert spont_rate_from_cell_metrics(cell_type, tf, folder) == pytest.approx(float(metrics["spont_exp"][0]),
                                                                                        rel=1e-12)
    # packaged models without experimental cells: BMTK raises KeyError without spont_fr, simlib a ConfigError
    for cell_type, tf in (("tON", "TF4"), ("tON", "TF15")):
        assert tf not in bmtk_metrics.get_data_metrics_for_each_subclass(cell_type)
        with pytest.raises(ConfigError, match=f"no {cell_type} cell has its peak F0 at {tf}"):
            spont_rate_from_cell_metrics(cell_type, tf, folder)


def test_rates_without_spont_fr_equal_bmtks(fn):
    rows, cols, frames = np.arange(40.0), np.arange(60.0), _flash(600, 100, 400)[:, :40, :60]
    folder = BMTK / "simulator" / "filternet" / "lgnmodel" / "cell_metrics"
    nodes = pd.DataFrame({"node_id": [0, 1], "model_template": ["lgnmodel:sOFF_TF8", "lgnmodel:tOFF_TF8"],
                          "dynamics_params": ["sOFF_TF8.json", "tOFF_TF8.json"], "x": [20.0, 35.0], "y": [10.0, 25.0],
                          "spatial_size": 2.0})
    units = build_units(nodes, BMTK / "utils" / "scripts" / "filternet" / "filter_models", cell_metrics_dir=folder)
    ours = evaluate_rates(units, Movie(frames, 1000.0, rows, cols)).rates_hz
    for j, model in enumerate(["sOFF_TF8", "tOFF_TF8"]):
        props = dict(x=nodes.x[j], y=nodes.y[j], spatial_size=2.0)
        theirs = _bmtk_rates(props, model, model, frames, rows, cols, fn=fn)[1]
        np.testing.assert_allclose(ours[:, j], theirs, rtol=1e-6, atol=1e-6)
