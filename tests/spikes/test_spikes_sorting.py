"""simlib.spikes.sorting and simlib.spikes.arrays: sort orders and validation of spike arrays."""

import numpy as np
import pytest

from simlib.errors import ConfigError, FormatError
from simlib.spikes import sort_order
from simlib.spikes.arrays import as_node_ids, as_timestamps
from simlib.spikes.sorting import sort_index


@pytest.mark.parametrize("alias, expected", [
    ("time", "by_time"), ("by_time", "by_time"), ("id", "by_id"), ("by_id", "by_id"), ("node_id", "by_id"),
    ("gid", "by_id"), ("none", "none"), ("na", "none"), (None, "none"), ("BY_TIME", "by_time"),
])
def test_sort_order_aliases(alias, expected):
    assert sort_order(alias) == expected


def test_sort_order_accepts_enum_value():
    class Order:
        value = "by_id"
    assert sort_order(Order()) == "by_id"


def test_unknown_sort_order_lists_accepted():
    with pytest.raises(ConfigError, match="sort_order.*'random'.*by_time.*by_id.*none"):
        sort_order("random")


def test_sort_index():
    ids = np.array([2, 0, 1, 0])
    times = np.array([1.0, 3.0, 0.5, 2.0])
    assert sort_index(ids, times, "none") is None
    assert times[sort_index(ids, times, "by_time")].tolist() == [0.5, 1.0, 2.0, 3.0]
    by_id = sort_index(ids, times, "by_id")
    assert list(zip(ids[by_id].tolist(), times[by_id].tolist())) == [(0, 2.0), (0, 3.0), (1, 0.5), (2, 1.0)]


def test_as_node_ids_accepts_unsigned_and_whole_floats():
    assert as_node_ids(np.array([1, 2], dtype=np.uint64), "f").dtype == np.int64
    assert as_node_ids([1.0, 3.0], "f").tolist() == [1, 3]


@pytest.mark.parametrize("values, message", [
    ([1, -2], "2 negative|negative value.*-2 at index 1"),
    ([1.5], "1.5 at index 0 is not a whole number"),
    (np.array([2**64 - 1], dtype=np.uint64), "does not fit in int64"),
])
def test_as_node_ids_rejects(values, message):
    with pytest.raises(FormatError, match=f"spikes.h5: node_ids: .*({message})"):
        as_node_ids(values, "spikes.h5")


@pytest.mark.parametrize("values, message", [
    ([1.0, -0.5], "1 negative value.*-0.5 at index 1"),
    ([np.nan], "NaN or infinite.*nan at index 0"),
    ([np.inf], "NaN or infinite"),
    (["abc"], "expected numeric spike times"),
])
def test_as_timestamps_rejects(values, message):
    with pytest.raises(FormatError, match=f"spikes.csv: timestamps: .*{message}"):
        as_timestamps(values, "spikes.csv")


def test_as_timestamps_reports_positions():
    with pytest.raises(FormatError, match="at line 7"):
        as_timestamps([1.0, -1.0], "spikes.csv", positions=np.array([6, 7]), position_name="line")
