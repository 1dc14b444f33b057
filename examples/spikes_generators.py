"""Spike-train generator functions for ``module: function`` inputs (the advanced-inputs tutorial's example).

Named by ``functions_file`` in a workflow simulation (``components.functions_file`` in a simulation
config). simlib calls a generator once per node of the input's node set, with the node's properties
(``node["model_template"]``, ``node.node_id``, ``node.population_name``) and the run's ``sim.tstart``,
``sim.tstop``, ``sim.dt`` (ms); it returns the node's spike times in ms, ascending.
"""

import numpy as np

from simlib.bionet import spikes_generator


@spikes_generator
def my_spikes_generator(node, sim):
    """ON cells fire every 1 ms x 10 steps, OFF cells every 2 ms x 10 steps, from 100 ms (the tutorial's rule
    for its tON/tOFF cells, applied to the L4 network's sON/sOFF LGN cells)."""
    template = str(node["model_template"])
    if "ON" in template.split(":")[-1].split("_")[0]:
        return np.arange(100.0, sim.tstop, step=sim.dt * 10)
    if "OFF" in template.split(":")[-1].split("_")[0]:
        return np.arange(100.0, sim.tstop, step=sim.dt * 20)
    return []
