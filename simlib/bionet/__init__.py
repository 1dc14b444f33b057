"""BioNet on NEURON: biophysical cells, synapses, inputs, reports and runs from SONATA simulation configs.

This package and :mod:`simlib.mechanisms` (loading compiled mechanisms) import ``neuron``, always
inside functions, so importing them is cheap.
"""

from simlib.spikes.generators import add_spikes_generator, spikes_generator
from simlib.circuit.weights import add_weight_function, synaptic_weight


def simulate(config, **kw):
    """Run a simulation config (path or SimulationConfig); see :func:`simlib.bionet.simulation.simulate`."""
    from simlib.bionet.simulation import simulate as _simulate

    return _simulate(config, **kw)


__all__ = ["add_weight_function", "synaptic_weight", "add_spikes_generator", "spikes_generator", "simulate"]
