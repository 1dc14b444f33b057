"""Full disks, unwritable folders, leftovers of killed runs: outputs stay whole and errors name the file."""

import contextlib
import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from simlib import fileio
from simlib.errors import ConfigError, OutputError
from simlib.fileio import atomic_dir, atomic_path, remove_stale_temps, temp_path
from simlib.outputs import check_output_folders, check_report_size, simulation_output_folders


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class FullDiskFile:
    """A text file on a disk with room for `room` more characters: the write past it fails with ENOSPC."""

    def __init__(self, path, mode="r", room=10, **kwargs):
        self._fh = open(path, mode, **kwargs)
        self._room = room

    def write(self, text):
        if len(text) > self._room:
            self._fh.write(text[:self._room])
            self._fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(text)
        return self._fh.write(text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


# --- writers: (write the file, make the next write of it fail the way a full disk does)

def _spikes_h5(path):
    from simlib.spikes.sonata import write_sonata

    write_sonata(path, {"V1": (np.arange(50) % 5, np.linspace(0.0, 100.0, 50))})


def _spikes_csv(path):
    from simlib.spikes.csv import write_csv

    write_csv(path, {"V1": (np.arange(50) % 5, np.linspace(0.0, 100.0, 50))})


def _report_h5(path):
    from simlib.sonata.reports import ReportMapping, write_compartment_report

    mapping = {"V1": ReportMapping([0, 1], [0, 1, 2], [0, 0], [0.5, 0.5])}
    write_compartment_report(path, "v", mapping, {"V1": np.random.default_rng(0).random((30, 2))}, 0.0, 0.1)


def _figure_png(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simlib.analysis.output import save_figure

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, path)


def _nodes_h5(path):
    from simlib.builder import NetworkBuilder

    net = NetworkBuilder("V1", seed=1)
    net.add_nodes(N=4, pop_name="exc", model_type="point_process")
    net.build()
    net.save_nodes(nodes_file_name=str(path), node_types_file_name=str(path.with_suffix(".csv")))


def _partial_savefig(self, fname, **kwargs):
    Path(fname).write_bytes(b"\x89PNG partial")
    disk_full()


WRITERS = {
    # h5py reports a full disk as OSError(errno 28) from the dataset write
    "spikes.h5": (_spikes_h5, lambda mp: mp.setattr(h5py.Group, "create_dataset", disk_full)),
    "spikes.csv": (_spikes_csv, lambda mp: mp.setattr("simlib.spikes.csv.open", FullDiskFile, raising=False)),
    "report.h5": (_report_h5, lambda mp: mp.setattr(h5py.Dataset, "__setitem__", disk_full)),
    "figure.png": (_figure_png, lambda mp: mp.setattr("matplotlib.figure.Figure.savefig", _partial_savefig)),
    "nodes.h5": (_nodes_h5, lambda mp: mp.setattr(h5py.Group, "create_dataset", disk_full)),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_full_disk_keeps_the_previous_file_and_names_the_file(tmp_path, monkeypatch, name):
    write, fill_disk = WRITERS[name]
    path = tmp_path / "out" / name
    write(path)
    before = path.read_bytes()
    with monkeypatch.context() as mp:
        fill_disk(mp)
        with pytest.raises(OutputError) as info:
            write(path)
    assert str(info.value) == f"{path}: cannot write (No space left on device); the previous file is unchanged"
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_a_full_disk_on_a_first_write_leaves_no_file(tmp_path, monkeypatch):
    path = tmp_path / "spikes.csv"
    monkeypatch.setattr("simlib.spikes.csv.open", FullDiskFile, raising=False)
    with pytest.raises(OutputError, match=re.escape(f"{path}: cannot write (No space left on device); "
                                                    "no file was written")):
        _spikes_csv(path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", [errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS])
def test_other_write_failures_when_moving_into_place(tmp_path, monkeypatch, code):
    path = tmp_path / "timings.json"
    path.write_text("old")

    def failing_replace(src, dst):
        raise OSError(code, os.strerror(code), str(src))

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OutputError, match=re.escape(f"{path}: cannot write ({os.strerror(code)})")):
        with atomic_path(path) as tmp:
            tmp.write_text("new")
    assert path.read_text() == "old" and leftovers(tmp_path) == []


def test_errors_that_are_not_about_the_output_pass_unchanged(tmp_path):
    """A missing input read inside the block stays the reader's error; the temporary file goes."""
    with pytest.raises(FileNotFoundError):
        with atomic_path(tmp_path / "out.txt"):
            open(tmp_path / "absent.txt").read()
    with pytest.raises(PermissionError):   # EACCES of another file than the output
        with atomic_path(tmp_path / "out.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", "/some/input")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_building_a_network_folder_keeps_the_old_folder(tmp_path, monkeypatch):
    """atomic_dir (simlib build-network): the error names the folder and the file inside it."""
    folder = tmp_path / "network"
    with atomic_dir(folder) as tmp:
        _nodes_h5(tmp / "V1_nodes.h5")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    monkeypatch.setattr(h5py.Dataset, "__setitem__", disk_full)

    with pytest.raises(OutputError) as info:
        with atomic_dir(folder) as tmp:
            with h5py.File(tmp / "big.h5", "w") as h5:
                h5.create_dataset("x", shape=(10,), dtype="f8")[:] = 1.0
    assert str(info.value).startswith(f"{folder}: cannot write (No space left on device)")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert leftovers(tmp_path) == []


# --- a genuinely full file system: a 64 KB tmpfs (needs root, as the CI machine is)

@contextlib.contextmanager
def small_filesystem(folder: Path, options: str = "size=64k"):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the failing-writer tests above cover the same paths")
    folder.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mount -t tmpfs failed ({proc.stderr.strip()}); the failing-writer tests cover the same paths")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_really_full_disk(tmp_path):
    from simlib.spikes.sonata import write_sonata

    with small_filesystem(tmp_path / "disk") as disk:
        path = disk / "spikes.h5"
        _spikes_h5(path)
        before = path.read_bytes()
        n = 100_000
        with pytest.raises(OutputError) as info:
            write_sonata(path, {"V1": (np.arange(n) % 7, np.linspace(0.0, 1e4, n))}, compression=None)
        assert str(info.value) == f"{path}: cannot write (No space left on device); the previous file is unchanged"
        assert path.read_bytes() == before and leftovers(disk) == []
        with pytest.raises(OutputError, match=re.escape(f"{disk / 'big.csv'}: cannot write (No space left on device); "
                                                        "no file was written")):
            from simlib.spikes.csv import write_csv

            write_csv(disk / "big.csv", {"V1": (np.arange(n) % 7, np.linspace(0.0, 1e4, n))})
        assert sorted(p.name for p in disk.iterdir()) == ["spikes.h5"]


def test_a_read_only_filesystem_is_reported_before_the_run(tmp_path):
    with small_filesystem(tmp_path / "ro", "ro,size=64k") as disk:
        with pytest.raises(OutputError, match=re.escape(f"output folder not writable: {disk} (output.output_dir): "
                                                        "Read-only file system")):
            check_output_folders({disk: "output.output_dir"})


# --- output folders checked before a run

def test_unwritable_folders_are_all_named_at_once(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_open = os.open

    def no_permission(path, *args, **kwargs):   # chmod does not stop root: refuse the probe file instead
        if Path(path).parent == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_permission)
    with pytest.raises(OutputError) as info:
        check_output_folders({tmp_path / "ok": "output.output_dir", tmp_path / "file" / "out": "output.log_file",
                              locked: "--timings"})
    assert str(info.value) == (f"output folders not writable: {tmp_path / 'file' / 'out'} (output.log_file): "
                               f"{tmp_path / 'file'} is a file, not a folder; {locked} (--timings): Permission denied")
    assert not (tmp_path / "ok").exists() and leftovers(tmp_path) == []   # nothing created


def test_the_folders_of_a_simulation_config(tmp_path):
    from simlib.config import SimulationConfig

    (tmp_path / "n.h5").write_text("")
    (tmp_path / "t.csv").write_text("")
    config = SimulationConfig.from_dict({
        "run": {"tstop": 10.0}, "networks": {"nodes": [{"nodes_file": "n.h5", "node_types_file": "t.csv"}]},
        "output": {"output_dir": "out", "spikes_file": "spikes.h5", "log_file": "logs/log.txt"},
        "reports": {"v": {"module": "membrane_report", "file_name": "/elsewhere/v.h5"},
                    "ecp": {"module": "extracellular", "contributions_dir": "contrib"}}}, config_dir=tmp_path)
    folders = simulation_output_folders(config, {str(tmp_path / "t" / "timings.json"): "--timings", None: "x"})
    assert folders == {tmp_path / "out": "output.output_dir", tmp_path / "out" / "logs": "output.log_file",
                       Path("/elsewhere"): "reports.v.file_name", tmp_path / "out" / "contrib":
                       "reports.ecp.contributions_dir", tmp_path / "t": "--timings"}


def _dummy_network(folder: Path) -> dict:
    for name in ("n.h5", "t.csv"):
        (folder / name).write_text("")
    return {"nodes": [{"nodes_file": "n.h5", "node_types_file": "t.csv"}]}


def _filternet_config(folder: Path, output_dir: str) -> Path:
    np.save(folder / "movie.npy", np.zeros((20, 12, 16), dtype=np.float32))
    config = {"target_simulator": "LGNModel", "run": {"tstop": 100.0, "dt": 1.0},
              "networks": _dummy_network(folder),
              "inputs": {"movie": {"input_type": "movie", "module": "movie", "data_file": "movie.npy",
                                   "frame_rate": 200.0}},
              "output": {"output_dir": output_dir, "rates_csv": "rates.csv", "log_file": "log.txt"}}
    (folder / "filternet.json").write_text(json.dumps(config))
    return folder / "filternet.json"


@pytest.mark.parametrize("command", ["simulate", "pointnet", "popnet", "filternet", "build-network"])
def test_commands_name_an_unwritable_output_folder_before_they_start(tmp_path, command):
    """An output folder below a regular file: refused by the kernel for root too (unlike chmod)."""
    (tmp_path / "blocker").write_text("")
    if command == "build-network":
        args = ["--model", "l4_tutorial", "--seed", "1", "-o", "blocker/network"]
        expected = f"simlib: error: blocker/network: cannot write, folder blocker cannot be created (blocker is a " \
                   f"file, not a folder)"
    else:
        if command == "filternet":
            config = _filternet_config(tmp_path, "blocker/out")
        else:
            config = tmp_path / "config.json"
            config.write_text(json.dumps({"run": {"tstop": 10.0, "dt": 0.1}, "networks": _dummy_network(tmp_path),
                                          "output": {"output_dir": "blocker/out", "log_file": "log.txt"}}))
        args = [str(config)]
        expected = (f"simlib: error: output folder not writable: {tmp_path / 'blocker' / 'out'} (output.output_dir): "
                    f"{tmp_path / 'blocker'} is a file, not a folder")
    proc = subprocess.run([sys.executable, "-m", "simlib", command, *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == expected


# --- leftovers of killed runs

def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    host, token = fileio._HOST, fileio._TOKEN
    dead = f".spikes.h5.{host}-{_dead_pid()}-0123abcd-a1b2c3.tmp.h5"
    dead_dir = f".network.{host}-{_dead_pid()}-0123abcd-a1b2c3.tmp"
    earlier_me = f".log.txt.{host}-{os.getpid()}-{'f' * 8 if token != 'f' * 8 else 'e' * 8}-a1b2c3.tmp.txt"
    alive = f".rates.csv.{host}-{os.getppid()}-0123abcd-a1b2c3.tmp.csv"
    mine = temp_path(tmp_path / "report.h5").name
    other_host = ".x.h5.otherhost-1-0123abcd-a1b2c3.tmp.h5"
    not_ours = ".hidden.tmp.png"
    for name in (dead, earlier_me, alive, mine, other_host, not_ours):
        (tmp_path / name).write_text("partial")
    (tmp_path / dead_dir / "sub").mkdir(parents=True)
    removed = remove_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == sorted([dead, dead_dir, earlier_me])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive, mine, other_host, not_ours])
    old = os.path.getmtime(tmp_path / other_host) - 2 * 86400
    os.utime(tmp_path / other_host, (old, old))
    assert [p.name for p in remove_stale_temps(tmp_path)] == [other_host]


def test_the_next_write_into_a_folder_removes_leftovers(tmp_path, monkeypatch):
    monkeypatch.setattr(fileio, "_CLEANED", set())
    stale = tmp_path / f".spikes.h5.{fileio._HOST}-{_dead_pid()}-0123abcd-a1b2c3.tmp.h5"
    stale.write_text("partial")
    with atomic_path(tmp_path / "other.txt") as tmp:
        tmp.write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt"]


# --- report size bound

def test_report_size_bound():
    run = {"max_report_gb": 1.0}
    check_report_size([("a.h5", 600_000_000), ("b.h5", 400_000_000)], run, "sim.json")
    with pytest.raises(ConfigError) as info:
        check_report_size([("a.h5", 600_000_000), ("b.h5", 500_000_000)], run, "sim.json")
    assert str(info.value).startswith("sim.json: run.max_report_gb: the reports would hold 1.1 GB (uncompressed: "
                                      "a.h5 0.6 GB, b.h5 0.5 GB), more than the limit of 1 GB")
    check_report_size([("a.h5", 9_000_000_000)], {}, "sim.json")   # default 10 GB
    with pytest.raises(ConfigError, match="limit of 10 GB"):
        check_report_size([("a.h5", 11_000_000_000)], {}, "sim.json")
    with pytest.raises(ConfigError, match=r"run.max_report_gb: expected a positive number \(GB\), got 0"):
        check_report_size([], {"max_report_gb": 0}, "sim.json")


def test_max_report_gb_in_the_config_schema(tmp_path):
    from simlib.config import SimulationConfig

    network = _dummy_network(tmp_path)
    config = SimulationConfig.from_dict({"run": {"tstop": 1.0, "max_report_gb": 0.5}, "networks": network},
                                        config_dir=tmp_path)
    assert config.run["max_report_gb"] == 0.5
    with pytest.raises(ConfigError, match=r"run.max_report_gb.*a positive number"):
        SimulationConfig.from_dict({"run": {"tstop": 1.0, "max_report_gb": -1}, "networks": network},
                                   config_dir=tmp_path)


def test_a_kill_between_the_two_renames_of_atomic_dir_leaves_no_partial_folder(tmp_path, monkeypatch):
    """The old folder is renamed aside, then the new one into place: killed in between, there is no folder
    at the name (never half of one), and the next write removes the stale temporary folders."""
    script = f"""
import os
from pathlib import Path
from simlib.fileio import atomic_dir

folder = Path({str(tmp_path / 'net')!r})
with atomic_dir(folder) as tmp:
    (tmp / "a.txt").write_text("old")
real_rename = Path.rename
def rename(self, target):
    real_rename(self, target)
    if Path(target).name.startswith(".net."):   # the old folder is out of the way: die here
        os._exit(9)
Path.rename = rename
with atomic_dir(folder) as tmp:
    (tmp / "a.txt").write_text("new")
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    assert not (tmp_path / "net").exists() and len(leftovers(tmp_path)) == 2   # the old and the new folder
    monkeypatch.setattr(fileio, "_CLEANED", set())
    with atomic_dir(tmp_path / "net") as tmp:
        (tmp / "a.txt").write_text("newer")
    assert (tmp_path / "net" / "a.txt").read_text() == "newer" and leftovers(tmp_path) == []
