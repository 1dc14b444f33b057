"""The tutorial's distance-dependent E->E weights, as a weight function file for simlib (and BMTK).

The L4 network's Exc->Exc edge type names ``weight_function: set_syn_weight``. Without this file
simlib's built-in ``set_syn_weight`` returns the edge's ``syn_weight``; naming this file in a
simulation (``functions_file`` in the workflow config, ``components.functions_file`` in a
simulation config) replaces it: pairs closer than 60 µm get up to 10x stronger synapses.
With BMTK, import this module in the run script before building the network and call
``bionet.add_weight_function(set_syn_weight)``.
"""

import math

from simlib.bionet import synaptic_weight


@synaptic_weight
def set_syn_weight(edge_props, source, target):
    distance_um = math.dist((source["x"], source["y"], source["z"]), (target["x"], target["y"], target["z"]))
    weight = edge_props["syn_weight"]
    return weight if distance_um > 60.0 else weight * (10.0 - 0.165 * distance_um)
