#!/usr/bin/env bash
# One entry point for users and CI; it sets up everything it needs first.
#   bash run.sh workflow [snakemake arguments]   build the default workflow (config/config.yaml)
#   bash run.sh test [pytest arguments]          run the whole test suite
# Environment: PYTHON (default python3, 3.10+), CORES (default: all cores) for the workflow.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=.venv

need_compilers() {
    # nrnivmodl (NEURON's mechanism compiler) needs a C/C++ compiler and make
    if ! command -v gcc >/dev/null || ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq gcc g++ make >/dev/null
        else
            echo "run.sh: gcc, g++ and make are needed to compile NEURON mechanisms; install them and retry" >&2
            exit 1
        fi
    fi
}

setup() {
    local extras=$1
    need_compilers
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$PY" -m venv "$VENV" 2>/dev/null; then
            # Debian ships venv/ensurepip separately
            rm -rf "$VENV"
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            else
                echo "run.sh: '$PY -m venv' failed; install python3-venv (Debian) and retry" >&2; exit 1
            fi
            "$PY" -m venv "$VENV"
        fi
    fi
    local stamp="$VENV/.installed-$extras-$(cat pyproject.toml | sha1sum | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[$extras]"
        touch "$stamp"
    fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    workflow)
        setup workflow
        exec "$VENV/bin/snakemake" --cores "${CORES:-all}" "$@"
        ;;
    test)
        setup test
        export MPLBACKEND=Agg
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: bash run.sh workflow [snakemake args] | bash run.sh test [pytest args]" >&2
        exit 2
        ;;
esac
