"""The circuit: a SONATA network as every simulator reads it, with no simulator imported.

:class:`Circuit` holds the node populations of a config's ``networks`` (tables of node and
node-type properties, gid offsets in BMTK's numbering), resolves node sets, and loads edge
populations as :class:`Edges` with their weights resolved (``syn_weight`` or a registered weight
function), delays and synapse counts. BioNet (NEURON), PointNet (NEST) and PopNet build on it.
"""

from simlib.circuit.circuit import Circuit, EdgePopulationRef
from simlib.circuit.components import component_path
from simlib.circuit.edges import Edges, group_codes, load_edges, resolve_weights
from simlib.circuit.nodes import Population, RowView
from simlib.circuit.weights import add_weight_function, synaptic_weight, weight_function

__all__ = ["Circuit", "EdgePopulationRef", "Edges", "Population", "RowView", "add_weight_function", "component_path",
           "group_codes", "load_edges", "resolve_weights", "synaptic_weight", "weight_function"]
