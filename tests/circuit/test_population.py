"""Population: node counts, gid spans and membership with gaps in node ids (no NEURON run)."""

import numpy as np


def test_population_size_counts_nodes_and_id_span_counts_gids():
    """Node ids with gaps: size is the number of nodes, id_span (gids taken) is the largest id + 1."""
    import pandas as pd

    from simlib.circuit import Population

    pop = Population("V1", pd.DataFrame({"node_id": [0, 1, 5], "model_type": "biophysical"}), 0, "v1.h5")
    assert pop.size == 3 and pop.id_span == 6
    np.testing.assert_array_equal(pop.contains([0, 1, 3, 5, 6, -1]), [True, True, False, True, False, False])
