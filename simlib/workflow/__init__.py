"""The Snakemake workflow's glue: result paths, config cross-references, rule inputs, config writers, script frame.

rules/*.smk and scripts/*.py call these modules (and :mod:`simlib.tasks` for the steps themselves),
so that the logic is tested here rather than hidden in the workflow. Import the submodules
directly: this package imports nothing itself, so that :mod:`simlib.workflow.paths` (standard
library only) also loads in AllenSDK's environment (scripts/download_allen.py).
"""
