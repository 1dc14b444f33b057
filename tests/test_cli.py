"""The simlib command line: the subcommands the rules use, and exit status on bad input."""

import subprocess
import sys

import pytest

from simlib.cli import main
from simlib.sonata import read_nodes
from simlib.spikes import SpikeTrains


def test_help_lists_subcommands():
    proc = subprocess.run([sys.executable, "-m", "simlib", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for sub in ("build-network", "network-info", "spikes", "plot-raster"):
        assert sub in proc.stdout


def test_build_spikes_plot_pipeline(tmp_path, capsys):
    net = tmp_path / "net"
    assert main(["build-network", "--model", "l4_tutorial", "--seed", "3", "--param", "scale=0.1", "-o", str(net)]) == 0
    assert len(read_nodes(net / "V1_nodes.h5")) == 30
    assert main(["network-info", str(net / "circuit_config.json")]) == 0
    assert '"V1_to_V1"' in capsys.readouterr().out
    h5, csv = tmp_path / "lgn.h5", tmp_path / "lgn.csv"
    assert main(["spikes", "poisson", "--circuit", str(net / "circuit_config.json"), "--population", "LGN",
                 "--rate", "20", "--stop", "1", "--seed", "0", "-o", str(h5), "--csv", str(csv)]) == 0
    trains = SpikeTrains.load(h5)
    assert trains == SpikeTrains.load(csv) and len(trains.node_ids("LGN")) == 10
    nwb = tmp_path / "lgn.nwb"
    assert main(["spikes", "convert", str(h5), str(nwb)]) == 0
    assert SpikeTrains.load(nwb) == trains
    assert main(["spikes", "convert", str(nwb), str(tmp_path / "lgn.hdf")]) == 0  # every extension SpikeTrains knows
    assert SpikeTrains.load(tmp_path / "lgn.hdf") == trains
    png = tmp_path / "r.png"
    assert main(["plot-raster", str(h5), "-o", str(png), "--circuit", str(net / "circuit_config.json"),
                 "--group-by", "model_template", "--histogram"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["spikes", "poisson", "--node-ids", "0:5", "--population", "X", "--rate", "5", "--stop", "1",
                 "--seed", "0", "-o", str(tmp_path / "x.h5")]) == 0
    assert SpikeTrains.load(tmp_path / "x.h5").populations == ["X"]


def test_convert_to_unknown_extension_names_the_accepted_ones(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("timestamps node_ids\n1.0 0\n")
    assert main(["spikes", "convert", str(src), str(tmp_path / "out.parquet")]) == 1
    err = capsys.readouterr().err
    assert "out.parquet: cannot tell the spike file type from extension '.parquet'; expected one of .h5" in err
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize("argv, message", [
    (["spikes", "poisson", "--population", "X", "--rate", "5", "--stop", "1", "--seed", "0", "-o", "x.h5"],
     "give --circuit"),
    (["spikes", "poisson", "--node-ids", "0:3", "--population", "X", "--rate", "-5", "--stop", "1", "--seed", "0",
      "-o", "x.h5"], "rate"),
    (["spikes", "convert", "missing.csv", "out.h5"], "missing.csv"),
    (["build-network", "--model", "nope", "--seed", "1", "-o", "net"], "network model 'nope' unknown"),
    (["build-network", "--model", "l4_tutorial", "--seed", "1", "--param", "scale", "-o", "net"], "KEY=VALUE"),
])
def test_bad_input_exits_nonzero_with_one_message(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("simlib: error: ") and message in err
    assert not any(p.suffix in (".h5", ".csv") for p in tmp_path.rglob("*"))


def test_network_script_with_negative_rule_fails_cleanly(tmp_path, capsys):
    script = tmp_path / "bad_net.py"
    script.write_text(
        "from simlib.builder import NetworkBuilder\n"
        "def build_network(output_dir, seed):\n"
        "    net = NetworkBuilder('A')\n"
        "    net.add_nodes(N=3)\n"
        "    net.add_edges(connection_rule=lambda s, t: -1)\n"
        "    net.build()\n"
        "    net.save(output_dir=output_dir)\n")
    out = tmp_path / "net"
    assert main(["build-network", "--script", str(script), "--seed", "0", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "negative synapse count -1" in err and err.count("\n") == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["bad_net.py"]


def test_spikes_csv_missing_column_fails_cleanly(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamps population\n1.0 LGN\n")
    assert main(["spikes", "convert", str(bad), str(tmp_path / "out.h5")]) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and "node_ids" in err
    assert not (tmp_path / "out.h5").exists()


def test_rebuild_keeps_old_network_when_new_build_fails(tmp_path, capsys):
    out = tmp_path / "net"
    assert main(["build-network", "--model", "l4_tutorial", "--seed", "1", "--param", "scale=0.1", "-o", str(out)]) == 0
    before = (out / "V1_V1_edges.h5").read_bytes()
    assert main(["build-network", "--model", "l4_tutorial", "--seed", "1", "--param", "scale=-1", "-o", str(out)]) == 1
    assert "scale must be > 0" in capsys.readouterr().err
    assert (out / "V1_V1_edges.h5").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net"]
