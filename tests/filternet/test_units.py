"""Building LGN units from node tables: models, parameters, spontaneous rates, jitter, two-subunit cells."""

import json

import numpy as np
import pandas as pd
import pytest

from simlib.errors import ConfigError
from simlib.filternet import build_units, spont_rate_from_cell_metrics, temporal_kernel
from simlib.filternet.spontaneous import NoSpontaneousRateError, SPONT_RATES_HZ
from simlib.filternet.units import ACCEPTED_MODELS


def test_single_units(filter_dir, fn):
    nodes = fn.lgn_nodes(4)
    units = build_units(nodes, filter_dir)
    assert units.n_units == units.n_subunits == 4
    assert units.node_ids.tolist() == [0, 1, 2, 3]
    assert units.model_names.tolist() == ["sON_TF8", "tOFF_TF8"] * 2
    assert units.amplitude.tolist() == [1.0, -1.0, 1.0, -1.0]
    assert units.offset_hz.tolist() == [2.5] * 4
    np.testing.assert_allclose(units.sigma_deg, 4.0 / 3)
    np.testing.assert_allclose(units.x_deg, nodes["x"])
    assert units.kernels.shape[0] == 2          # one kernel per distinct parameter set
    son = fn.FILTERS["sON_TF8.json"]
    expected = temporal_kernel(son["opt_wts"], son["opt_kpeaks"], son["opt_delays"])
    assert np.array_equal(units.kernels[units.kernel_index[0], :expected.size], expected)
    assert units.seed_entropy is None


def test_pop_name_and_bare_templates(filter_dir, fn):
    nodes = fn.lgn_nodes(2, model_template=[None, "sON_TF8"], pop_name=["tOFF_TF8", "ignored"])
    assert build_units(nodes, filter_dir).model_names.tolist() == ["tOFF_TF8", "sON_TF8"]


def test_unknown_models_and_templates_list_the_accepted_ones(filter_dir, fn):
    nodes = fn.lgn_nodes(3, model_template=["lgnmodel:sON_TF8", "lgnmodel:xON_TF8", "lgnmodel:LGNblob"])
    with pytest.raises(ConfigError, match=r"unknown filter model\(s\) \['LGNblob', 'xON_TF8'\] \(nodes 1, 2\); "
                                          r"accepted: \['sON_<TF>'") as err:
        build_units(nodes, filter_dir)
    assert all(m in str(err.value) for m in ACCEPTED_MODELS)
    with pytest.raises(ConfigError, match="'lgnmodel:<model>' templates only"):
        build_units(fn.lgn_nodes(2, model_template="audmodel:AUD_filt"), filter_dir)
    with pytest.raises(ConfigError, match="no model_template"):
        build_units(fn.lgn_nodes(2).drop(columns="model_template"), filter_dir)


def test_missing_filter_json_lists_the_folder(filter_dir, fn):
    nodes = fn.lgn_nodes(2, dynamics_params=["sON_TF8.json", "sON_TF99.json"])
    with pytest.raises(ConfigError, match=r"LGN node 1: dynamics_params: unknown filter model 'sON_TF99.json'.*"
                                          r"holds \['sOFF_TF4.json', 'sON_TF4.json'"):
        build_units(nodes, filter_dir)
    with pytest.raises(ConfigError, match="no filter_models_dir"):
        build_units(fn.lgn_nodes(2), None)


def test_column_overrides_in_bmtks_order(filter_dir, fn):
    son = fn.FILTERS["sON_TF8.json"]
    custom = dict(weights=[2.0, -1.0], kpeaks=[15.0, 40.0], delays=[3, 10])
    nodes = fn.lgn_nodes(3)
    nodes["weights"] = [custom["weights"], "[2.0, -1.0]", None]       # lists, or text from a types CSV
    nodes["weight_dom_0"], nodes["weight_dom_1"] = [9.0, 9.0, 2.0], [-9.0, -9.0, -1.0]
    nodes["kpeaks_dom"] = [custom["kpeaks"]] * 3
    nodes["delay_dom_0"], nodes["delay_dom_1"] = 3, 10
    units = build_units(nodes, filter_dir)
    expected = temporal_kernel(**custom)
    for i in range(3):
        assert np.array_equal(units.kernels[units.kernel_index[i], :expected.size], expected)
    # the JSON is the fallback
    plain = build_units(fn.lgn_nodes(1), filter_dir)
    assert np.array_equal(plain.kernels[0, :600], temporal_kernel(son["opt_wts"], son["opt_kpeaks"], son["opt_delays"]))


def test_invalid_temporal_parameters_name_the_nodes(filter_dir, fn):
    nodes = fn.lgn_nodes(3)
    nodes["kpeaks"] = [[30.0, 20.0], None, [40.0, 10.0]]
    with pytest.raises(ConfigError, match=r"expected kpeaks\[0\] < kpeaks\[1\], got weights=.*kpeaks=\[30.0, 20.0\].*"
                                          r"\(nodes 0, 2\)"):
        build_units(nodes, filter_dir)
    (filter_dir / "empty.json").write_text(json.dumps({"opt_wts": [1.0, -1.0]}))
    # a key missing from the filter JSON is reported against that file (issue 18), not the node table
    with pytest.raises(ConfigError, match=r"empty.json: opt_kpeaks: missing \(node 0\): no valid kpeaks .*"
                                          r"expected two numbers here, or a node column among \['kpeaks'"):
        build_units(fn.lgn_nodes(1, dynamics_params="empty.json"), filter_dir)
    # so are values of the wrong shape or type, and values breaking BMTK's rules
    for bad, says in (({"opt_kpeaks": "abc"}, r'opt_kpeaks: expected two finite numbers \[first, second\], got "abc"'),
                      ({"opt_kpeaks": [[1.0], [2.0]]}, r"opt_kpeaks: expected two finite numbers"),
                      ({"opt_kpeaks": [20.0, 10.0]}, r"opt_kpeaks: invalid temporal filter: expected kpeaks\[0\] < ")):
        (filter_dir / "bad.json").write_text(json.dumps({"opt_wts": [1.0, -1.0], "opt_delays": [0, 10], **bad}))
        with pytest.raises(ConfigError, match=r"bad.json: " + says):
            build_units(fn.lgn_nodes(1, dynamics_params="bad.json"), filter_dir)


def test_spatial_size_sources(filter_dir, fn):
    nodes = fn.lgn_nodes(3).drop(columns="spatial_size")
    nodes["sigma"] = [[3.0, 6.0], None, None]            # BMTK divides 'sigma' by 3 as well
    nodes["spatial_rotation"] = [0.0, 45.0, None]
    units = build_units(nodes, filter_dir)
    np.testing.assert_allclose(units.sigma_deg, [[1.0, 2.0], [1 / 3, 1 / 3], [1 / 3, 1 / 3]])  # default 1 degree
    assert units.rotation_deg.tolist() == [0.0, 45.0, 0.0]


def test_without_spont_fr_units_get_bmtks_rate_of_their_subclass(filter_dir, fn):
    nodes = fn.lgn_nodes(4, spont_fr=[np.nan, np.nan, 3.0, np.nan])
    # sON_TF8, tOFF_TF8, sON_TF8 (own spont_fr), tOFF_TF8: the table's means where spont_fr is missing
    expected = [SPONT_RATES_HZ[("sON", "TF8")], SPONT_RATES_HZ[("tOFF", "TF8")], 3.0, SPONT_RATES_HZ[("tOFF", "TF8")]]
    assert build_units(nodes, filter_dir).offset_hz.tolist() == expected
    assert build_units(nodes.drop(columns="spont_fr"), filter_dir).offset_hz.tolist()[:2] == expected[:2]


def test_a_subclass_without_recordings_needs_spont_fr(filter_dir, fn):
    nodes = fn.lgn_nodes(2, model_template=["lgnmodel:tON_TF4", "lgnmodel:sON_TF8"],
                         dynamics_params="sON_TF8.json").drop(columns="spont_fr")
    with pytest.raises(NoSpontaneousRateError, match=r"node 0 \(no spont_fr\): tON_TF4: no recorded tON cell peaks "
                                                     r"at TF4.*tON_TF8\); give the nodes a spont_fr") as exc:
        build_units(nodes, filter_dir)
    assert isinstance(exc.value, ConfigError) and isinstance(exc.value, KeyError)   # BMTK raises KeyError
    assert not str(exc.value).startswith("'")                                        # not quoted as a key


def test_spont_rate_from_cell_metrics(tmp_path, filter_dir, fn):
    table = pd.DataFrame({"Spont": [1.0, 3.0, 10.0, 20.0], "F0_TF1": [5, 1, 1, np.nan],
                          "F0_TF8": [1, 7, 9, 2], "F0_TF15": [0, 0, 0, 1]})
    table.to_csv(tmp_path / "sON_cell_data.csv", index=False)
    # each cell is labelled by its largest F0 (NaN skipped): TF1 for cell 0, TF8 for cells 1-3
    assert spont_rate_from_cell_metrics("sON", "TF8", tmp_path) == pytest.approx(11.0)
    assert spont_rate_from_cell_metrics("sON", "TF1", tmp_path) == 1.0
    with pytest.raises(ConfigError, match="no sON cell has its peak F0 at TF15"):
        spont_rate_from_cell_metrics("sON", "TF15", tmp_path)
    with pytest.raises(ConfigError, match="tOFF_cell_data.csv: cannot read"):
        spont_rate_from_cell_metrics("tOFF", "TF8", tmp_path)
    nodes = fn.lgn_nodes(2, model_template="lgnmodel:sON_TF8", dynamics_params="sON_TF8.json",
                         spont_fr=[np.nan, 4.0])
    assert build_units(nodes, filter_dir, cell_metrics_dir=tmp_path).offset_hz.tolist() == [11.0, 4.0]


def test_spont_rate_is_pandas_groupby_mean_to_the_bit(tmp_path):
    """BMTK's fallback rate is a pandas groupby mean (compensated summation); simlib reads the CSV without pandas."""
    rng = np.random.default_rng(4)
    n = 400
    f0 = rng.random((n, 3)) * 10
    f0[rng.random((n, 3)) < 0.2] = np.nan
    f0[np.isnan(f0).all(axis=1), 1] = 5.0
    table = pd.DataFrame({"Spont": rng.lognormal(0.0, 3.0, n), **{f"F0_TF{t}": f0[:, i] for i, t in enumerate((1, 2, 4))}})
    table.loc[rng.random(n) < 0.1, "Spont"] = np.nan
    table.to_csv(tmp_path / "tOFF_cell_data.csv", index=False)
    table = pd.read_csv(tmp_path / "tOFF_cell_data.csv")
    label = table[["F0_TF1", "F0_TF2", "F0_TF4"]].idxmax(axis=1).str.slice(3)
    expected = table["Spont"].groupby(label).mean()
    for tf in ("TF1", "TF2", "TF4"):
        assert spont_rate_from_cell_metrics("tOFF", tf, tmp_path) == expected[tf]
    table.loc[7, ["F0_TF1", "F0_TF2", "F0_TF4"]] = np.nan
    table.to_csv(tmp_path / "tOFF_cell_data.csv", index=False)
    with pytest.raises(ConfigError, match=r"cell\(s\) in data row\(s\) \[8\] have no F0_TF\* value"):
        spont_rate_from_cell_metrics("tOFF", "TF1", tmp_path)


def test_a_mapping_of_columns_builds_the_same_units(filter_dir, fn):
    nodes = fn.lgn_nodes(6, spatial_rotation=[0.0, 30.0, None, 0.0, 10.0, 0.0], jitter_lower=0.9, jitter_upper=1.1)
    for table in (nodes, fn.two_subunit_nodes()):
        columns = {name: table[name].to_numpy() for name in table.columns}
        a, b = build_units(table, filter_dir, seed=2), build_units(columns, filter_dir, seed=2)
        for name, value in vars(a).items():
            np.testing.assert_array_equal(getattr(b, name), value, err_msg=name)
    with pytest.raises(ConfigError, match="no node_id"):
        build_units({"x": np.zeros(2)}, filter_dir)
    with pytest.raises(ConfigError, match=r"one value per node.*'x': \(3,\)"):
        build_units({"node_id": np.arange(2), "x": np.zeros(3)}, filter_dir)
    with pytest.raises(ConfigError, match="expected a pandas DataFrame of nodes or a mapping"):
        build_units([1, 2], filter_dir)


def test_jitter_is_seeded_per_node(filter_dir, fn):
    nodes = fn.lgn_nodes(6, jitter_lower=0.8, jitter_upper=1.2)
    a = build_units(nodes, filter_dir, seed=0)
    b = build_units(nodes, filter_dir, seed=0)
    c = build_units(nodes, filter_dir, seed=1)
    assert a.seed_entropy == 0
    assert np.array_equal(a.kernels, b.kernels)
    assert a.kernels.shape[0] == 6 and not np.array_equal(a.kernels, c.kernels)
    # a node's unit does not depend on the other nodes (MPI splits, subsets)
    part = build_units(nodes.iloc[[4, 1]], filter_dir, seed=0)
    for j, i in enumerate([4, 1]):
        np.testing.assert_array_equal(part.kernels[part.kernel_index[j]], a.kernels[a.kernel_index[i]])


def test_network_jitter_applies_where_nodes_have_none(filter_dir, fn):
    plain = build_units(fn.lgn_nodes(2), filter_dir, seed=3)
    jittered = build_units(fn.lgn_nodes(2), filter_dir, seed=3, jitter=(0.5, 1.5))
    assert plain.kernels.shape[0] == 2 and jittered.kernels.shape[0] == 2
    assert not np.array_equal(plain.kernels, jittered.kernels)
    none = build_units(fn.lgn_nodes(2), filter_dir, seed=3, jitter=(1.0, 1.0))
    np.testing.assert_allclose(none.kernels, plain.kernels, atol=1e-15)


@pytest.mark.parametrize("kwargs, columns, message", [
    (dict(jitter=(1.2, 0.8)), {}, "jitter: expected"),
    (dict(seed=-1), {}, "seed: expected None or an integer >= 0"),
    ({}, dict(weights=[3.0, [1.0, -1.0]]), r"weights: expected 2 numbers per node, got 3.0 for node 0"),
    ({}, dict(jitter_lower=0.9), "give both or neither"),
    ({}, dict(jitter_lower=1.1, jitter_upper=0.9), "jitter_lower <= jitter_upper"),
    ({}, dict(x=[1.0, np.nan]), r"node 1: x, y: expected"),
    ({}, dict(spatial_size=[-1.0, 2.0]), r"node 0: spatial_size"),
])
def test_bad_node_tables(filter_dir, fn, kwargs, columns, message):
    with pytest.raises(ConfigError, match=message):
        build_units(fn.lgn_nodes(2, **columns), filter_dir, **kwargs)


def test_two_subunit_cells(filter_dir, fn):
    units = build_units(fn.two_subunit_nodes(), filter_dir)
    assert units.n_units == 2 and units.n_subunits == 4
    assert units.subunit_unit.tolist() == [0, 0, 1, 1]
    # dominant OFF subfield at (x, y), ON subfield sf_sep away along tuning_angle
    np.testing.assert_allclose(units.x_deg, [20.0, 20 + 6 * np.cos(np.pi / 6), 30.0, 30 + 4 * np.cos(2 * np.pi / 3)])
    np.testing.assert_allclose(units.y_deg, [15.0, 15 + 6 * np.sin(np.pi / 6), 20.0, 20 + 4 * np.sin(2 * np.pi / 3)])
    assert units.offset_hz.tolist() == [2.0, 2.0, 2.75, 2.75]          # BMTK's fixed rates 4 and 5.5 Hz, halved
    assert units.amplitude[1] == units.amplitude[3] == 1.0
    assert units.amplitude[0] < 0 and units.amplitude[2] < 0
    # delays re-fitted: each kernel's zero crossing moves to BMTK's time-to-peak targets
    for index, target in zip(units.kernel_index, [115.0, 121.0, 64.8, 93.5]):
        k = units.kernels[index, :600]
        top, bottom = np.argmax(k), np.argmin(k)
        crossing = top + np.flatnonzero((k[top:bottom - 1] >= 0) & (k[top + 1:bottom] < 0))[0] + 1
        assert abs(crossing - target) <= 1.0


def test_two_subunit_cells_need_sf_sep_and_draw_missing_angles(filter_dir, fn):
    with pytest.raises(ConfigError, match=r"nodes 10, 11: sf_sep"):
        build_units(fn.two_subunit_nodes().drop(columns="sf_sep"), filter_dir)
    nodes = fn.two_subunit_nodes().drop(columns="tuning_angle")
    a, b = build_units(nodes, filter_dir, seed=5), build_units(nodes, filter_dir, seed=5)
    assert a.seed_entropy == 5 and np.array_equal(a.x_deg, b.x_deg)
    np.testing.assert_allclose(np.hypot(a.x_deg[1] - 20.0, a.y_deg[1] - 15.0), 6.0)


def test_on_off_cell(filter_dir, fn):
    nodes = fn.lgn_nodes(1, model_template="lgnmodel:LGNOnOFFCell", sigma_on=[[2.0, 2.0]], sigma_off=[[4.0, 4.0]])
    units = build_units(nodes, filter_dir)
    assert units.amplitude.tolist() == [20.0, -20.0] and units.offset_hz.tolist() == [0.0, 0.0]
    np.testing.assert_allclose(units.sigma_deg, [[2.0, 2.0], [4.0, 4.0]])
