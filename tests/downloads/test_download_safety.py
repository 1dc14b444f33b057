"""Downloads write only inside their folder, fetch only from the configured API host, and clean up after killed runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allen_api import AllenApi

from simlib import fileio
from simlib.downloads import DownloadError, Manifest, check_file_name, check_host, check_json, check_nwb, fetch
from simlib.morphology import pyramidal_cell, write_swc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spikes"))
from ecephys_sessions import write_session
from test_download_allen import allensdk_python  # noqa: F401  (fixture: AllenSDK's venv)

SESSION = 715093703
MODEL = 472363762


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("allen_safety")
    nwb = write_session(folder / f"{SESSION}.nwb", SESSION, seed=1, n_units_by_area={"VISl": 2})
    swc = write_swc(folder / "cell.swc", pyramidal_cell(3))
    fit = folder / f"{MODEL}_fit.json"
    fit.write_text(json.dumps({"genome": [{"section": "soma", "name": "g_pas", "value": 1e-4, "mechanism": ""}],
                               "passive": [{"ra": 100.0, "cm": []}], "conditions": [{"celsius": 34.0}]}))
    return {"nwb": nwb, "swc": swc, "fit": fit}


@pytest.fixture
def api(sources):
    with AllenApi({SESSION: sources["nwb"]}) as server:
        yield server


def session_url(api) -> str:
    return f"{api.url}/api/v2/well_known_file_download/{api.session_files[SESSION]}"


def quiet(message):
    pass


@pytest.mark.parametrize("name", ["../x.swc", "/etc/passwd", "a/b.swc", "..", ".", "", ".downloads.json",
                                  "a\\b.swc", "x\0.swc", None])
def test_names_that_would_leave_the_folder_are_refused(name):
    with pytest.raises(DownloadError, match=r"^model 1: morphology: file name .* refused; expected a plain file name"):
        check_file_name(name, "model 1: morphology")


def test_plain_names_pass():
    assert check_file_name("Scnn1a_473845048_m.swc", "x") == "Scnn1a_473845048_m.swc"


@pytest.mark.parametrize("url", ["http://evil.example/api/v2/well_known_file_download/1",
                                 "https://127.0.0.1:8080/x",            # another scheme
                                 "http://127.0.0.1:8081/x",             # another port
                                 "http://127.0.0.1:8080@evil.example/x",  # user-info trick: the host is evil.example
                                 "file:///etc/passwd"])
def test_urls_off_the_api_host_are_refused(url):
    with pytest.raises(DownloadError, match="refused: not on the configured API host http://127.0.0.1:8080"):
        check_host(url, "http://127.0.0.1:8080")
    assert check_host("http://127.0.0.1:8080/api/x?y=1", "http://127.0.0.1:8080/") == "http://127.0.0.1:8080/api/x?y=1"
    assert check_host("http://API.brain-map.org/x", "http://api.brain-map.org") == "http://API.brain-map.org/x"


def test_fetch_refuses_another_host_before_any_request(api, tmp_path):
    dest = tmp_path / "s.nwb"
    other = session_url(api).replace("127.0.0.1", "localhost")
    with pytest.raises(DownloadError, match=f"{other}: refused: not on the configured API host {api.url}"):
        fetch(other, dest, check=check_nwb, api=api.url, log=quiet)
    assert api.requests == [] and list(tmp_path.iterdir()) == []


def test_redirects_only_within_the_api_host(api, sources, tmp_path):
    file_id = api.session_files[SESSION]
    api.redirects[file_id] = "http://evil.example/session.nwb"
    dest = tmp_path / "s.nwb"
    with pytest.raises(DownloadError, match="http://evil.example/session.nwb: refused: not on the configured API host"):
        fetch(session_url(api), dest, check=check_nwb, api=api.url, retries=0, log=quiet)
    assert list(tmp_path.iterdir()) == []
    # a redirect to the API's own host is followed
    api.files[file_id + 100] = sources["nwb"]
    api.redirects[file_id] = f"{api.url}/api/v2/well_known_file_download/{file_id + 100}"
    assert fetch(session_url(api), dest, check=check_nwb, api=api.url, log=quiet) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes()


def test_symlinks_at_the_part_file_or_destination_are_not_written_through(api, sources, tmp_path):
    folder, outside = tmp_path / "resources", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    dest = folder / "s.nwb"
    (folder / ".s.nwb.part").symlink_to(outside / "victim.part")
    (folder / ".s.nwb.part.json").symlink_to(outside / "victim.json")
    dest.symlink_to(outside / "victim.nwb")      # dangling: nothing there yet
    assert fetch(session_url(api), dest, check=check_nwb, log=quiet) == "downloaded"
    assert list(outside.iterdir()) == []
    assert not dest.is_symlink() and dest.read_bytes() == sources["nwb"].read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["s.nwb"]


def test_a_stale_part_is_removed_once_the_file_is_present(api, sources, tmp_path):
    dest = tmp_path / "s.nwb"
    manifest = Manifest(tmp_path / "downloads.json")
    fetch(session_url(api), dest, check=check_nwb, manifest=manifest, log=quiet)
    (tmp_path / ".s.nwb.part").write_bytes(b"half a file from a killed run")
    (tmp_path / ".s.nwb.part.json").write_text("{")
    assert fetch(session_url(api), dest, check=check_nwb, manifest=manifest, log=quiet) == "present"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["downloads.json", "s.nwb"]


def test_a_part_that_cannot_be_resumed_is_started_again(api, sources, tmp_path):
    """A killed run left bytes but no state (or the state of another URL): the download starts from byte 0."""
    dest = tmp_path / "s.nwb"
    (tmp_path / ".s.nwb.part").write_bytes(b"x" * 5000)
    (tmp_path / ".s.nwb.part.json").write_text(json.dumps({"url": "http://elsewhere/1", "validator": '"e"'}))
    messages = []
    assert fetch(session_url(api), dest, check=check_nwb, log=messages.append) == "downloaded"
    assert dest.read_bytes() == sources["nwb"].read_bytes()
    assert not any("resuming" in m for m in messages)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nwb"]


def test_manifest_writes_are_atomic_and_clean_up_after_killed_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(fileio, "_CLEANED", set())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".downloads.json.{fileio._HOST}-{dead.pid}-0123abcd-a1b2c3.tmp.json"
    stale.write_text("{")
    (tmp_path / "a.json").write_text(json.dumps({"genome": []}))
    entry = Manifest(tmp_path / "downloads.json").record(tmp_path / "a.json", None)
    assert json.loads((tmp_path / "downloads.json").read_text()) == {"a.json": entry}
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["a.json", "downloads.json"]


# --- the download script (AllenSDK's environment) against a server returning hostile file names

@pytest.mark.workflow
@pytest.mark.parametrize("hostile", ["..", ".downloads.json"])
def test_script_refuses_hostile_file_names(allensdk_python, repo, sources, tmp_path, hostile):
    models = {MODEL: {"fit": sources["fit"], "morphology": sources["swc"], "morphology_name": hostile}}
    with AllenApi({}, models) as api:
        env = {**os.environ, "SIMLIB_PACKAGE": str(repo / "simlib")}
        proc = subprocess.run([str(allensdk_python), str(repo / "scripts/download_allen.py"), "--api", api.url,
                               "--retries", "0", "cell-models", "--out", "out", "--model", str(MODEL)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stderr + proc.stdout
        assert f"download_allen: error: neuronal model {MODEL}: morphology: file name '{hostile}' refused" \
               in proc.stderr
        assert api.downloads() == []
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert [p for p in written if not p.endswith(".lock")] == []
