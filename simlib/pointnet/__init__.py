"""PointNet on NEST: point-neuron networks from SONATA files and BMTK PointNet simulation configs.

Only this package imports ``nest`` (inside functions, see :mod:`simlib.pointnet.kernel`), so
importing it is cheap and needs no NEST. Modules: :mod:`~simlib.pointnet.models` (what to build,
read without NEST), :mod:`~simlib.pointnet.inputs`, :mod:`~simlib.pointnet.network` (NEST cells,
spike sources, bulk connections), :mod:`~simlib.pointnet.recording`, :mod:`~simlib.pointnet.simulation`.
"""

from simlib.circuit.weights import add_weight_function, synaptic_weight


def simulate(config, **kw):
    """Run a PointNet config (path or SimulationConfig); see :func:`simlib.pointnet.simulation.simulate`."""
    from simlib.pointnet.simulation import simulate as _simulate

    return _simulate(config, **kw)


__all__ = ["add_weight_function", "simulate", "synaptic_weight"]
