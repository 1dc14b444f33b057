"""Argument checks of the virtual-cell builder (runs without any mechanism library)."""

import numpy as np
import pytest

from simlib.errors import SimlibError
from simlib.mechanisms.events import spike_train_source


@pytest.mark.parametrize("times, message", [
    ([1.0, -0.5, 2.0], r"finite times >= 0 ms, got \[-0.5\]"),
    ([1.0, np.nan], r"got \[nan\]"),
    ([np.inf], r"got \[inf\]"),
    ([[1.0, 2.0]], r"1-D sequence .* shape \(1, 2\)"),
])
def test_bad_spike_times_are_rejected_with_the_values(times, message):
    with pytest.raises(SimlibError, match=message):
        spike_train_source(times, trigger=None)
