"""simlib.downloads against a local stand-in of the Allen API: clean, dropped, corrupt, present, offline."""

import json
import socket
import sys
import time
from pathlib import Path

import pytest
from allen_api import AllenApi

from simlib.downloads import (
    DownloadError,
    Manifest,
    check_json,
    check_nwb,
    check_swc,
    fetch,
    sha256,
    with_retries,
)
from simlib.errors import FormatError
from simlib.morphology import pyramidal_cell, write_swc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spikes"))
from ecephys_sessions import write_session

SESSION = 715093703
MODEL = 472363762
HINT = "put it there by hand; config key: simulations.x.inputs.y.input_file"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("allen")
    nwb = write_session(folder / f"{SESSION}.nwb", SESSION, seed=1, n_units_by_area={"VISl": 4, "CA1": 3})
    swc = write_swc(folder / "Scnn1a_473845048_m.swc", pyramidal_cell(3))
    fit = folder / f"{MODEL}_fit.json"
    fit.write_text(json.dumps({"genome": [{"section": "soma", "name": "g_pas", "value": 1e-4, "mechanism": ""}],
                               "passive": [{"ra": 100.0, "cm": []}], "conditions": [{"celsius": 34.0}]}))
    return {"nwb": nwb, "swc": swc, "fit": fit}


@pytest.fixture
def api(sources):
    with AllenApi({SESSION: sources["nwb"]}, {MODEL: {"fit": sources["fit"], "morphology": sources["swc"]}}) as server:
        yield server


def session_url(api) -> str:
    return f"{api.url}/api/v2/well_known_file_download/{api.session_files[SESSION]}"


def hidden_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if p.is_file() and not p.name.endswith(".lock"))


def quiet(messages):
    return messages.append


def test_clean_download_recorded(api, sources, tmp_path):
    dest = tmp_path / "session" / "s.nwb"
    manifest = Manifest(tmp_path / "downloads.json")
    assert fetch(session_url(api), dest, check=check_nwb, manifest=manifest, log=quiet([])) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes()
    entry = json.loads(manifest.path.read_text())["session/s.nwb"]
    assert entry["size"] == dest.stat().st_size and entry["sha256"] == sha256(sources["nwb"])
    assert entry["url"] == session_url(api)
    assert hidden_files(tmp_path) == []


def test_dropped_connection_resumed(api, sources, tmp_path):
    """The server closes the connection half-way: the retry asks for the rest (Range) and the file is whole."""
    api.faults[api.session_files[SESSION]] = ["drop"]
    dest, messages = tmp_path / "s.nwb", []
    assert fetch(session_url(api), dest, check=check_nwb, backoff_s=0.01, log=messages.append) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes()
    assert len(api.downloads()) == 2
    assert any("connection closed after" in m for m in messages) and any("resuming" in m for m in messages)
    assert hidden_files(tmp_path) == []


def test_interrupted_run_resumed_by_the_next(api, sources, tmp_path):
    """Out of attempts half-way: nothing at the destination; the next run continues the hidden part file."""
    api.faults[api.session_files[SESSION]] = ["drop"]
    dest = tmp_path / "s.nwb"
    with pytest.raises(DownloadError, match="connection closed after"):
        fetch(session_url(api), dest, check=check_nwb, retries=0, log=quiet([]))
    assert not dest.exists()
    (part,) = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert 0 < part.stat().st_size < sources["nwb"].stat().st_size
    messages = []
    assert fetch(session_url(api), dest, check=check_nwb, log=messages.append) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes()
    assert any("resuming" in m for m in messages)
    assert hidden_files(tmp_path) == []


@pytest.mark.parametrize("fault", ["corrupt", "truncate"])
def test_bad_file_never_moved_into_place(api, sources, tmp_path, fault):
    """A scrambled or cut file fails the NWB check: retried, then an error; nothing at the destination."""
    api.faults[api.session_files[SESSION]] = [fault] * 3
    dest = tmp_path / "s.nwb"
    with pytest.raises(DownloadError) as info:
        fetch(session_url(api), dest, check=check_nwb, retries=2, backoff_s=0.01, hint=HINT, log=quiet([]))
    message = str(info.value)
    assert str(dest) in message and "not valid" in message and "HDF5" in message and HINT in message
    assert not dest.exists() and hidden_files(tmp_path) == []
    assert len(api.downloads()) == 3
    # the fourth answer is good: a run with one more try gets the file
    api.faults[api.session_files[SESSION]] = [fault]
    assert fetch(session_url(api), dest, check=check_nwb, backoff_s=0.01, log=quiet([])) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes()


def test_present_file_not_fetched(api, tmp_path):
    dest = tmp_path / "s.nwb"
    manifest = Manifest(tmp_path / "downloads.json")
    fetch(session_url(api), dest, check=check_nwb, manifest=manifest, log=quiet([]))
    before = list(api.requests)

    def must_not_be_called():
        raise AssertionError("the URL was looked up for a file already present")

    assert fetch(must_not_be_called, dest, check=check_nwb, manifest=manifest, log=quiet([])) == "present"
    assert api.requests == before


def test_file_changed_since_download_fetched_again(api, sources, tmp_path):
    dest = tmp_path / "s.nwb"
    manifest = Manifest(tmp_path / "downloads.json")
    fetch(session_url(api), dest, check=check_nwb, manifest=manifest, log=quiet([]))
    dest.write_bytes(dest.read_bytes()[:1000])  # cut by something else
    assert not manifest.holds(dest)
    assert fetch(session_url(api), dest, check=check_nwb, manifest=manifest, log=quiet([])) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes() and manifest.holds(dest)


def test_file_put_by_hand_checked_and_kept(sources, tmp_path):
    """No manifest entry: a valid file is recorded without any request; an invalid one is an error, untouched."""
    dest = tmp_path / "s.nwb"
    dest.write_bytes(sources["nwb"].read_bytes())
    manifest = Manifest(tmp_path / "downloads.json")
    no_server = "http://127.0.0.1:9/never-asked"
    assert fetch(no_server, dest, check=check_nwb, manifest=manifest, log=quiet([])) == "present"
    assert manifest.entry(dest)["url"] is None and manifest.holds(dest)
    bad = tmp_path / "bad.nwb"
    bad.write_bytes(b"not an HDF5 file")
    with pytest.raises(DownloadError, match=r"bad.nwb: the file present is not valid .*delete it"):
        fetch(no_server, bad, check=check_nwb, manifest=manifest, log=quiet([]))
    assert bad.read_bytes() == b"not an HDF5 file"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_server_clear_error(tmp_path):
    dest = tmp_path / "resources" / "s.nwb"
    url = f"http://127.0.0.1:{free_port()}/api/v2/well_known_file_download/1"
    messages = []
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch(url, dest, check=check_nwb, retries=2, backoff_s=0.05, hint=HINT, log=messages.append)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert message.startswith(f"{dest}: could not download {url}") and "ConnectionRefusedError" in message
    assert message.endswith(HINT)
    assert len([m for m in messages if "retrying in" in m]) == 2  # backoff 0.05, 0.1
    assert not dest.exists() and hidden_files(tmp_path) == []


def test_not_found_not_retried(api, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{api.url}/api/v2/well_known_file_download/5", tmp_path / "x.nwb", check=check_nwb, backoff_s=0.01,
              log=quiet([]))
    assert api.requests == ["/api/v2/well_known_file_download/5"]


def test_busy_server_retried(api, sources, tmp_path):
    api.faults[api.session_files[SESSION]] = ["error503", "error503"]
    dest = tmp_path / "s.nwb"
    assert fetch(session_url(api), dest, check=check_nwb, backoff_s=0.01, log=quiet([])) == "downloaded"
    assert len(api.downloads()) == 3 and dest.read_bytes() == sources["nwb"].read_bytes()


def test_query_retries_then_names_what_failed():
    calls = []

    def refused():
        calls.append(1)
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(DownloadError, match=r"^finding session 1 at http://x: failed \(ConnectionRefusedError.*\n"
                                            + HINT):
        with_retries(refused, "finding session 1 at http://x", retries=3, backoff_s=0.01, hint=HINT, log=quiet([]))
    assert len(calls) == 4


def test_checks(sources, tmp_path):
    check_nwb(sources["nwb"])
    check_swc(sources["swc"])
    check_json(sources["fit"], keys=("genome",))
    with pytest.raises(FormatError, match="472363762_fit.json: key 'nope' missing; expected keys nope"):
        check_json(sources["fit"], keys=("nope",))
    (tmp_path / "a.json").write_text("[1, 2]")
    with pytest.raises(FormatError, match="expected a JSON object"):
        check_json(tmp_path / "a.json")
    (tmp_path / "a.swc").write_text("1 1 0 0 0 1 -1\n2 3 0 0 x 1 1\n")
    with pytest.raises(FormatError, match="a.swc"):
        check_swc(tmp_path / "a.swc")
    import h5py

    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f.create_group("units")
    with pytest.raises(FormatError, match="nwb_version"):
        check_nwb(tmp_path / "plain.h5")


def test_damaged_manifest_names_line_and_remedy(tmp_path):
    path = tmp_path / "downloads.json"
    path.write_text('{"a.nwb": {"size": 1,}}')
    with pytest.raises(FormatError, match=r"downloads.json: line 1, column 22: invalid JSON .*; delete the download "
                                          r"manifest to have the files checked and recorded again$"):
        Manifest(path).entry(tmp_path / "a.nwb")


def test_cells_listing_checked(tmp_path):
    from simlib.models.components import write_downloaded_components

    listing = tmp_path / "cells.json"
    listing.write_text('{"models": []}')
    with pytest.raises(FormatError, match=r"cells.json: key 'cells' missing; expected a 'cells' list$"):
        write_downloaded_components(tmp_path / "out", listing)
    listing.write_text('{"cells": {}}')
    with pytest.raises(FormatError, match=r"cells.json: cells: expected a list of cells, got \{\}$"):
        write_downloaded_components(tmp_path / "out", listing)
