"""A stand-in for the Allen Brain Map API on the loopback address, for the download tests.

It answers the request paths AllenSDK uses: RMA queries (``/api/v2/data/query.json``) for the
EcephysNwb well-known file of a session and for the well-known files of a neuronal model, and
``/api/v2/well_known_file_download/<id>`` for the bytes (with ``Content-Length``, ``ETag`` and
``Range`` requests). Faults are queued per file: ``drop`` (the connection closes half-way),
``corrupt`` (as many bytes, scrambled), ``truncate`` (half the file, announced as whole), ``error503``.
``redirects[file id]`` answers that file with a 302 to another URL; a model's ``fit_name`` /
``morphology_name`` is the file name its record gives (a hostile server's ``..`` or ``.hidden``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

FAULTS = ("drop", "corrupt", "truncate", "error503")
PERISOMATIC = "Biophysical - perisomatic"


class AllenApi:
    """The server: ``sessions`` {session id: NWB file}, ``models`` {model id: {"fit", "morphology", "model_type"}}.

    Use as a context manager; ``url`` is ``http://127.0.0.1:<port>``. ``requests`` lists every path asked
    for; ``faults[file id]`` is a list of faults, one consumed per download of that file.
    """

    def __init__(self, sessions: dict[int, Path] | None = None, models: dict[int, dict] | None = None):
        self.files: dict[int, Path] = {}        # well-known file id -> file served
        self.session_files: dict[int, int] = {}  # session id -> well-known file id
        self.model_files: dict[int, dict] = {}   # model id -> {"fit": id, "morphology": id, "model_type": ...}
        next_id = 1_026_124_000
        for session_id, path in (sessions or {}).items():
            self.files[next_id] = Path(path)
            self.session_files[session_id] = next_id
            next_id += 1
        for model_id, spec in (models or {}).items():
            entry = {"model_type": spec.get("model_type", PERISOMATIC)}
            for kind in ("fit", "morphology"):
                self.files[next_id] = Path(spec[kind])
                entry[kind] = next_id
                entry[f"{kind}_name"] = spec.get(f"{kind}_name", Path(spec[kind]).name)
                next_id += 1
            self.model_files[model_id] = entry
        self.faults: dict[int, list[str]] = defaultdict(list)
        self.redirects: dict[int, str] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def downloads(self) -> list[int]:
        """Ids of the well-known files requested so far, in order."""
        return [int(p.rsplit("/", 1)[1]) for p in self.requests if "well_known_file_download/" in p]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- answers ---------------------------------------------------------------------------------

    def rma(self, query: str) -> dict:
        rows = []
        if "model::WellKnownFile" in query and "EcephysNwb" in query:
            match = re.search(r"attachable_id\$eq(\d+)", query)
            session_id = int(match.group(1)) if match else None
            if session_id in self.session_files:
                file_id = self.session_files[session_id]
                rows = [{"id": file_id, "attachable_id": session_id, "attachable_type": "EcephysSession",
                         "download_link": f"/api/v2/well_known_file_download/{file_id}",
                         "path": f"/allen/programs/braintv/production/visualbehavior/{session_id}.nwb",
                         "well_known_file_type_id": 1001}]
        elif "model::NeuronalModel" in query:
            match = re.search(r"\[id\$eq(\d+)\]", query)
            model_id = int(match.group(1)) if match else None
            if model_id in self.model_files:
                rows = [self._neuronal_model(model_id)]
        else:
            return {"success": False, "msg": f"query not supported by the test server: {query}"}
        return {"success": True, "id": 0, "start_row": 0, "num_rows": len(rows), "total_rows": len(rows), "msg": rows}

    def _neuronal_model(self, model_id: int) -> dict:
        """A NeuronalModel record with its nested well-known files, as the RMA include returns it."""
        entry = self.model_files[model_id]

        def wkf(kind: str, type_name: str) -> dict:
            file_id = entry[kind]
            return {"id": file_id, "path": f"/external/mousecelltypes/{entry[f'{kind}_name']}",
                    "well_known_file_type": {"name": type_name}}

        return {
            "id": model_id,
            "neuronal_model_template": {"name": entry["model_type"], "well_known_files": []},
            "well_known_files": [wkf("fit", "NeuronalModelParameters")],
            "specimen": {"id": model_id + 1, "ephys_result": {"id": model_id + 2, "well_known_files": []},
                         "neuron_reconstructions": [{"well_known_files": [wkf("morphology", "3DNeuronReconstruction")]}],
                         "ephys_sweeps": [{"sweep_number": 1, "stimulus_name": "Long Square"}]},
        }


def _handler(api: AllenApi):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            parts = urlsplit(self.path)
            path = re.sub("/+", "/", parts.path)
            with api._lock:
                api.requests.append(path)
            if path == "/api/v2/data/query.json":
                body = json.dumps(api.rma(unquote(parts.query))).encode()
                return self._send(200, body, "application/json")
            match = re.fullmatch(r"/api/v2/well_known_file_download/(\d+)", path)
            if match and int(match.group(1)) in api.redirects:
                return self._send(302, b"", "text/plain", {"Location": api.redirects[int(match.group(1))]})
            if match and int(match.group(1)) in api.files:
                return self._file(int(match.group(1)))
            return self._send(404, b"not found", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _file(self, file_id: int):
            data = api.files[file_id].read_bytes()
            etag = '"' + hashlib.md5(data).hexdigest() + '"'
            with api._lock:
                fault = api.faults[file_id].pop(0) if api.faults[file_id] else None
            if fault == "error503":
                return self._send(503, b"busy", "text/plain")
            start, status = 0, 200
            ranged = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if ranged and self.headers.get("If-Range", etag) == etag and int(ranged.group(1)) < len(data):
                start, status = int(ranged.group(1)), 206
            body = data[start:]
            headers = {"ETag": etag, "Accept-Ranges": "bytes"}
            if status == 206:
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            if fault == "corrupt":
                body = bytes(b ^ 0x5A for b in body)
            elif fault == "truncate":
                body = body[: len(body) // 2]
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if fault == "drop":  # half the announced bytes, then the connection closes
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler
