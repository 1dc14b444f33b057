"""The plot-connectivity, plot-positions, plot-rates-boxplot, plot-rates, plot-isi-cv and plot-synchrony commands."""

import subprocess
import sys

import pytest

from simlib.cli import main

COMMANDS = {
    "connectivity": ["plot-connectivity", "{net}", "--measure", "convergence"],
    "positions": ["plot-positions", "{net}", "--population", "V1"],
    "rates_boxplot": ["plot-rates-boxplot", "{spikes}", "--circuit", "{net}", "--tstop", "2000"],
    "rates": ["plot-rates", "{spikes}", "--circuit", "{net}", "--tstop", "2000", "--bin-ms", "50"],
    "isi_cv": ["plot-isi-cv", "{spikes}", "--circuit", "{net}", "--tstart", "500", "--tstop", "2000"],
    "synchrony": ["plot-synchrony", "{spikes}", "--circuit", "{net}", "--tstop", "2000", "--max-pairs", "0"],
}

BAD = {   # one bad input per command: (arguments, the one line printed)
    "connectivity": (["plot-connectivity", "{net}", "--group-by", "layer"],
                     "{net}: connection_matrix: group_by: 'layer' is not a node attribute of any population (LGN, V1)"),
    "positions": (["plot-positions", "{net}"],
                  "{net}: node_positions: population: the circuit holds node populations LGN, V1; choose one"),
    "rates_boxplot": (["plot-rates-boxplot", "{spikes}", "--circuit", "{net}", "--tstop", "2000",
                       "--group-by", "layer"],
                      "{net}: group_by: 'layer' is not a node attribute of population 'V1'"),
    "rates": (["plot-rates", "{spikes}", "--circuit", "{net}", "--tstart", "10", "--tstop", "10"],
              "rates figure: t_range: expected start_ms < stop_ms, got (10, 10); the window is empty"),
    "isi_cv": (["plot-isi-cv", "{spikes}", "--circuit", "{net}", "--tstop", "2000", "--population", "X"],
               "{net}: node population 'X' not found; available: ['LGN', 'V1']"),
    "synchrony": (["plot-synchrony", "{spikes}", "--circuit", "{net}", "--tstop", "8"],
                  "{spikes}: plot_synchrony: t_range: 8 ms holds fewer than two bins of 5 ms"),
}


def fill(args, **paths):
    return [a.format(**{k: str(v) for k, v in paths.items()}) for a in args]


def test_every_command_writes_a_png_and_the_same_bytes_again(network, v1_spikes, tmp_path):
    outputs = {kind: tmp_path / f"{kind}.png" for kind in COMMANDS}
    # one process per command, run side by side (each spends most of its second importing matplotlib)
    procs = {kind: subprocess.Popen([sys.executable, "-m", "simlib", *fill(args, net=network, spikes=v1_spikes),
                                     "-o", str(outputs[kind])], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
             for kind, args in COMMANDS.items()}
    for kind, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (kind, err)
        assert outputs[kind].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"Software" not in outputs[kind].read_bytes()          # no matplotlib version inside
    again = tmp_path / "again.png"
    assert main([*fill(COMMANDS["synchrony"], net=network, spikes=v1_spikes), "-o", str(again)]) == 0
    assert again.read_bytes() == outputs["synchrony"].read_bytes()


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_is_one_line_and_no_file(kind, network, v1_spikes, tmp_path, capsys):
    args, message = BAD[kind]
    output = tmp_path / "out.png"
    assert main([*fill(args, net=network, spikes=v1_spikes), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("simlib: error: " + fill([message], net=network,
                                                                             spikes=v1_spikes)[0])
    assert not output.exists()
