"""Workflow configs as the rules see them: the YAML files merged and the schema's defaults filled."""

import yaml


def load_config(repo, *names, defaults=True) -> dict:
    """config/<names> merged as Snakemake merges several --configfile; schema defaults filled as in common.smk."""
    def update(base, extra):
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                update(base[key], value)
            else:
                base[key] = value

    config = {}
    for name in names:
        update(config, yaml.safe_load((repo / "config" / name).read_text()))
    if defaults:
        from snakemake.utils import validate

        validate(config, str(repo / "config" / "schema.yaml"))
    return config
