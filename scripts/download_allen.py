"""Download rules: Allen Brain Observatory Neuropixels sessions and Allen Cell Types biophysical models.

Runs in the AllenSDK environment (its own venv, or envs/allensdk.yaml). simlib is imported from the
package folder named by $SIMLIB_PACKAGE (only that package: the rest of simlib's environment, e.g. its
numpy, stays out), else from the Python path. AllenSDK knows the Allen API: its queries find each file's download
link, its cache manifest lays out the ecephys sessions; simlib.downloads fetches the bytes (retried,
resumed, verified, then moved into place, recorded in the folder's downloads.json).

  download_allen.py session ID --cache resources/ecephys --api http://api.brain-map.org
  download_allen.py cell-models --out resources/cell_models/NAME --model ID[=MORPHOLOGY.swc,FIT.json] ...
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit


def _import_simlib(package: Path) -> None:
    spec = importlib.util.spec_from_file_location("simlib", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["simlib"] = module
    spec.loader.exec_module(module)


if os.environ.get("SIMLIB_PACKAGE"):
    _import_simlib(Path(os.environ["SIMLIB_PACKAGE"]))

from simlib.downloads import (
    DownloadError,
    Manifest,
    check_file_name,
    check_json,
    check_nwb,
    check_swc,
    fetch,
    with_retries,
)
from simlib.errors import SimlibError
from simlib.fileio import atomic_path
from simlib.workflow.paths import session_nwb

MANIFEST = "downloads.json"
# well-known file types of a neuronal model that the BioNet configs use (the others: mod files, whose
# mechanisms simlib brings itself, and the 100+ MB stimulus NWB of the cell's recordings)
MODEL_FILES = ("fit", "morphology")


class _LinkOnly:
    """An AllenSDK HTTP engine whose downloads return their URL instead of streaming the bytes."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def stream(self, route):
        return self._engine._build_url(route)


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock: parallel session jobs share one AllenSDK cache manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ecephys_cache(cache_dir: Path, api: str):
    """AllenSDK's EcephysProjectCache on ``cache_dir`` (its manifest.json there) for the API at ``api``."""
    from allensdk.brain_observatory.ecephys.ecephys_project_cache import (
        EcephysProjectCache,
    )

    url = urlsplit(api)
    with locked(cache_dir / ".manifest.lock"):
        return EcephysProjectCache.from_warehouse(scheme=url.scheme, host=url.netloc + url.path.rstrip("/"),
                                                  manifest=str(cache_dir / "manifest.json"))


def download_session(args, log) -> None:
    cache_dir = Path(args.cache)
    dest = Path(session_nwb(args.id, cache_dir))  # AllenSDK's cache layout, the file ecephys_probe inputs name

    def find_url() -> str:
        cache = ecephys_cache(cache_dir, args.api)
        layout = Path(cache.get_cache_path(None, cache.SESSION_NWB_KEY, args.id, args.id))
        if layout.resolve() != dest.resolve():
            raise DownloadError(f"AllenSDK's cache puts session {args.id} at {layout}, not at {dest}")
        api = cache.fetch_api
        api.rma_engine = _LinkOnly(api.rma_engine)
        return with_retries(lambda: api.get_session_data(args.id), f"finding session {args.id} at {args.api}",
                            retries=args.retries, backoff_s=args.backoff, hint=args.hint, log=log)

    status = fetch(find_url, dest, check=check_nwb, manifest=Manifest(cache_dir / MANIFEST), retries=args.retries,
                   backoff_s=args.backoff, timeout_s=args.timeout, hint=args.hint, log=log, api=args.api)
    log(f"{dest}: {status}")


def parse_model(text: str) -> dict:
    """``ID`` or ``ID=MORPHOLOGY.swc,FIT.json`` (the names the network's node types use)."""
    model_id, _, names = text.partition("=")
    morphology, _, fit = names.partition(",")
    if not model_id.isdigit() or (names and not (morphology.endswith(".swc") and fit.endswith(".json"))):
        raise argparse.ArgumentTypeError(f"expected ID or ID=MORPHOLOGY.swc,FIT.json, got '{text}'")
    return {"model_id": int(model_id), "morphology": morphology or None, "dynamics_params": fit or None}


class ModelQuery:
    """AllenSDK's query of one neuronal model's well-known files: made once, and only when a file is missing."""

    def __init__(self, model_id: int, args, log):
        self.model_id, self.args, self.log = model_id, args, log
        self._found: dict | None = None

    def __call__(self) -> dict:
        """``{"fit": (file id, Allen name), "morphology": (...), "url": {kind: URL}, "model_type": ...}``."""
        if self._found is None:
            from allensdk.api.queries.biophysical_api import BiophysicalApi

            args = self.args
            api = BiophysicalApi(base_uri=args.api.rstrip("/"))
            ids = with_retries(lambda: api.get_well_known_file_ids(self.model_id),
                               f"finding neuronal model {self.model_id} at {args.api}", retries=args.retries,
                               backoff_s=args.backoff, hint=args.hint, log=self.log)
            for kind in MODEL_FILES:
                if len(ids.get(kind, {})) != 1:
                    raise DownloadError(f"neuronal model {self.model_id}: expected one '{kind}' file at {args.api}, "
                                        f"found {len(ids.get(kind, {}))}")
            found = {kind: next(iter(ids[kind].items())) for kind in MODEL_FILES}
            found["url"] = {kind: api.construct_well_known_file_download_url(found[kind][0]) for kind in MODEL_FILES}
            found["model_type"] = api.model_type
            self._found = found
        return self._found

    @property
    def model_type(self) -> str | None:
        return self._found["model_type"] if self._found else None


def download_cell_models(args, log) -> None:
    out = Path(args.out)
    manifest = Manifest(out / MANIFEST)
    checks = {"fit": lambda p: check_json(p, keys=("genome",)), "morphology": check_swc}
    cells = []
    for model in args.model:
        query = ModelQuery(model["model_id"], args, log)
        names = {"morphology": model["morphology"], "fit": model["dynamics_params"]}
        if not all(names.values()):  # the Allen file names, when the config gives none
            names = {kind: names[kind] or query()[kind][1] for kind in MODEL_FILES}
        for kind in MODEL_FILES:   # from the server or the config: either way a plain name inside `out`
            check_file_name(names[kind], f"neuronal model {model['model_id']}: {kind}")
        targets = {"fit": out / "biophysical_neuron_models" / names["fit"],
                   "morphology": out / "morphologies" / names["morphology"]}
        for kind in MODEL_FILES:
            status = fetch(lambda kind=kind, query=query: query()["url"][kind], targets[kind], check=checks[kind],
                           manifest=manifest, retries=args.retries, backoff_s=args.backoff, timeout_s=args.timeout,
                           hint=args.hint, log=log, api=args.api)
            log(f"{targets[kind]}: {status} (neuronal model {model['model_id']})")
        cells.append({"model_id": model["model_id"], "model_type": query.model_type,
                      "morphology": names["morphology"], "dynamics_params": names["fit"]})
    with atomic_path(out / "cells.json") as tmp:
        tmp.write_text(json.dumps({"api": args.api, "cells": cells}, indent=2) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://api.brain-map.org", help="Allen Brain Map API (scheme://host[:port])")
    parser.add_argument("--retries", type=int, default=4, help="further attempts after a failure")
    parser.add_argument("--backoff", type=float, default=2.0, help="seconds before the first retry (then doubled)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds without data before an attempt fails")
    parser.add_argument("--hint", default="", help="what to do by hand, appended to a final error")
    parser.add_argument("--log", help="progress log file (errors also go to stderr)")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("session", help="a Visual Coding Neuropixels session NWB file")
    p.add_argument("id", type=int)
    p.add_argument("--cache", required=True, help="AllenSDK ecephys cache folder (its manifest.json)")
    p.set_defaults(func=download_session)
    p = sub.add_parser("cell-models", help="Allen Cell Types biophysical models: morphology and fit files")
    p.add_argument("--out", required=True, help="components folder (morphologies/, biophysical_neuron_models/)")
    p.add_argument("--model", type=parse_model, action="append", required=True,
                   help="ID or ID=MORPHOLOGY.swc,FIT.json (file names the network's node types use)")
    p.set_defaults(func=download_cell_models)
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        log_file = stack.enter_context(open(args.log, "a")) if args.log else sys.stdout

        def log(message: str) -> None:
            print(f"{time.strftime('%H:%M:%S')} {message}", file=log_file, flush=True)

        try:
            args.func(args, log)
        except SimlibError as exc:
            log(f"error: {exc}")
            print(f"download_allen: error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
