# Downloads from the Allen Brain Map API through AllenSDK, in AllenSDK's own environment (it pins
# numpy < 1.24 and pandas 1.5.3): a venv that the first download job creates (scripts/allensdk_env.py;
# also the target of rule allensdk_env), or envs/allensdk.yaml with --use-conda. The venv is not an
# input of the download rules: files already present are never fetched again because of it.
# Nothing here runs unless a config asks for Allen data.
#
# A download job's settings (API, retries, paths, the hint of its error message) are not params: a
# changed setting must not make Snakemake delete and fetch again a 2.7 GB file that is in place. They
# reach the shell as globals and `resources` strings, which are not rerun triggers. The download
# rules are local rules: on a cluster they run on the login node, where the network usually is.

import shlex

import simlib

DOWNLOADS = config["downloads"]
USE_CONDA = any(getattr(m, "name", str(m)).upper() == "CONDA"
                for m in workflow.deployment_settings.deployment_method)
ALLENSDK_VENV = DOWNLOADS["allensdk_venv"]
ALLENSDK_READY = f"{ALLENSDK_VENV}/.simlib-allensdk-ready"
ALLENSDK_REQUIREMENTS = str(Path(workflow.basedir) / "envs" / "allensdk-requirements.txt")
ALLENSDK_PYTHON = "python" if USE_CONDA else f"{ALLENSDK_VENV}/bin/python"
DOWNLOAD_SCRIPT = str(Path(workflow.basedir) / "scripts" / "download_allen.py")
# the download script imports simlib.downloads from this package folder (and nothing else of simlib's environment)
SIMLIB_PACKAGE = str(Path(simlib.__file__).resolve().parent)


# makes AllenSDK's venv on first use (nothing with --use-conda: the rule's env has AllenSDK); its errors
# (e.g. no PyPI) reach the terminal
ENSURE_ALLENSDK = "true" if USE_CONDA else " ".join(
    shlex.quote(str(a)) for a in (PYTHON, Path(workflow.basedir) / "scripts" / "allensdk_env.py", ALLENSDK_VENV,
                                  ALLENSDK_REQUIREMENTS))


DOWNLOAD_COMMAND = " ".join([
    f"SIMLIB_PACKAGE={shlex.quote(SIMLIB_PACKAGE)}", shlex.quote(ALLENSDK_PYTHON), shlex.quote(DOWNLOAD_SCRIPT),
    f"--api {shlex.quote(DOWNLOADS['api'])} --retries {DOWNLOADS['retries']} --backoff {DOWNLOADS['backoff_s']}",
    f"--timeout {DOWNLOADS['timeout_s']}"])


def session_hint(wildcards):
    path = paths.session_nwb(wildcards.session)
    keys = [f"simulations.{sim}.inputs.{name}.input_file" for sim, spec in config.get("simulations", {}).items()
            for name, inp in spec.get("inputs", {}).items()
            if path in ([inp["input_file"]] if isinstance(inp.get("input_file"), str) else inp.get("input_file", []))]
    where = ", ".join(keys) or "the input_file of your ecephys_probe inputs"
    return (f"Without network access, put the session's NWB file (from the Allen Brain Observatory Visual Coding "
            f"Neuropixels release, e.g. another machine's AllenSDK cache) at {path} by hand, or point {where} at "
            f"a copy you already have.")


def cell_models_hint(wildcards):
    name = wildcards.name
    return (f"Without network access, put the files by hand under {paths.cell_models_dir(name)}/morphologies/ and "
            f"biophysical_neuron_models/ (with the file names of components.{name}.cells), or have the simulations "
            f"use other cell models (simulations.<sim>.components, e.g. the offline ones).")


def cell_models_arguments(wildcards):
    return " ".join(
        "--model " + str(c["model_id"]) + (f"={c['morphology']},{c['dynamics_params']}" if c.get("morphology") else "")
        for c in config["components"][wildcards.name]["cells"])


localrules: allensdk_env, download_ecephys_session, download_cell_models


rule allensdk_env:
    output:
        ALLENSDK_READY,
    log:
        "logs/allensdk_env.log",
    shell:
        "{ENSURE_ALLENSDK} > {log}"


rule download_ecephys_session:
    output:
        paths.session_nwb("{session}"),
    wildcard_constraints:
        session=r"\d+",
    resources:
        hint=session_hint,
        cache=paths.ECEPHYS_CACHE,
    log:
        "logs/download/ecephys_session_{session}.log",
    conda:
        "../envs/allensdk.yaml"
    shell:
        "{ENSURE_ALLENSDK} >> {log} && {DOWNLOAD_COMMAND} --hint {resources.hint:q} --log {log}"
        " session {wildcards.session} --cache {resources.cache}"


rule download_cell_models:
    output:
        paths.cell_models_listing("{name}"),
    resources:
        hint=cell_models_hint,
        models=cell_models_arguments,
        out=lambda wc: paths.cell_models_dir(wc.name),
    log:
        "logs/download/cell_models_{name}.log",
    conda:
        "../envs/allensdk.yaml"
    shell:
        "{ENSURE_ALLENSDK} >> {log} && {DOWNLOAD_COMMAND} --hint {resources.hint:q} --log {log}"
        " cell-models --out {resources.out} {resources.models}"
