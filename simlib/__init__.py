"""simlib: build, drive and simulate SONATA cortical network models."""

__version__ = "0.1.0"
