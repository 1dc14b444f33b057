"""Simulation on NEURON: the only simlib package that imports neuron (lazily) or MPI."""
