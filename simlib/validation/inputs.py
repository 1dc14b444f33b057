"""Checks of a config's ``inputs`` and ``reports`` against the circuit: node sets, spike files, clamps."""

from __future__ import annotations

from pathlib import Path

from simlib.validation.problems import Problems


def check_inputs(config, circuit, problems: Problems, accepted: dict, simulator: str, amp_unit: str) -> int:
    """Check every enabled input the way the run reads it; returns the number of inputs checked.

    Spike files are read and their populations and node ids matched against the node set they
    drive; ``function`` inputs call their generator for every node; ``ecephys_probe`` inputs are
    checked for their files and node set only (reading Neuropixels sessions takes long);
    ``current_clamp`` amplitudes, delays and durations and node sets; BioNet's ``syn_activity``
    filters and timestamps.
    """
    from simlib.circuit import inputs as circuit_inputs

    if circuit is None:
        return 0
    select = circuit.selector(config.node_sets)
    for name, spec in config.inputs.items():
        field, source = f"inputs.{name}", f"{config.source}: inputs.{name}"
        input_type, module = spec.get("input_type"), spec.get("module")
        if module not in accepted.get(input_type, ()):
            text = "; ".join(f"input_type '{t}' with module {', '.join(map(repr, ms))}" for t, ms in accepted.items())
            problems.add(config.source, field, f"input_type '{input_type}' with module '{module}' is not supported by "
                                               f"{simulator}; accepted: {text}")
            continue
        files = _input_files(spec)
        with problems.catch(config.source, field, prefix=source, others=tuple(files)):
            if input_type == "spikes" and module == "function":
                circuit_inputs.generated_trains(circuit, select, name, spec, config.run, source)
            elif input_type == "spikes" and module == "ecephys_probe":
                circuit_inputs.require_keys(spec, ("input_file", "node_set"), source,
                                            "an ecephys_probe input needs input_file and node_set")
                _require_files(files, source)
                circuit_inputs.virtual_selection(circuit, select, name, spec, source)
            elif input_type == "spikes":
                circuit_inputs.file_trains(circuit, select, name, spec, module, source)
            elif input_type == "current_clamp":
                circuit_inputs.clamp_values(spec, source, amp_unit)
                select(spec.get("node_set", "all"), f"inputs.{name}.node_set")
            elif input_type == "syn_activity":
                _syn_activity(spec, select, name, source)
    return len(config.inputs)


def _input_files(spec: dict) -> list[str]:
    value = spec.get("input_file")
    return [str(v) for v in ([value] if isinstance(value, str) else value if isinstance(value, list) else [])]


def _require_files(files: list[str], source: str) -> None:
    from simlib.errors import ConfigError

    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise ConfigError(f"{source}.input_file: file not found: {', '.join(missing)}")


def _syn_activity(spec: dict, select, name: str, source: str) -> None:
    """BioNet's spontaneous synaptic activity: its cell filters resolve and its timestamps read."""
    from simlib.bionet.inputs import read_timestamps
    from simlib.errors import ConfigError

    if not isinstance(spec.get("precell_filter"), dict):
        raise ConfigError(f"{source}.precell_filter: missing; expected an attribute filter of the source cells")
    select(spec["precell_filter"], f"inputs.{name}.precell_filter")
    if spec.get("postcell_filter"):
        select(spec["postcell_filter"], f"inputs.{name}.postcell_filter")
    if "timestamps" not in spec:
        raise ConfigError(f"{source}.timestamps: missing; expected a list of times (ms) or a text file of them")
    read_timestamps(spec["timestamps"], f"{source}.timestamps")


def check_report_cells(config, circuit, problems: Problems, modules: tuple, simulator: str,
                       default_cells: str) -> None:
    """Every enabled report names a known module and a node set that matches nodes; electrode files read."""
    if circuit is None:
        return
    select = circuit.selector(config.node_sets)
    for name, spec in config.reports.items():
        field, source = f"reports.{name}", f"{config.source}: reports.{name}"
        module = spec.get("module")
        if module not in modules:
            problems.add(config.source, f"{field}.module", f"'{module}' is not supported by {simulator}; accepted: "
                                                           f"{', '.join(modules)}")
            continue
        with problems.catch(config.source, field, prefix=source):
            select(spec.get("cells", default_cells), f"reports.{name}.cells")
        if module == "extracellular":
            path = spec.get("electrode_positions")
            if path is None:
                problems.add(config.source, f"{field}.electrode_positions", "missing; expected a space-separated CSV "
                                                                            "with columns channel x_pos y_pos z_pos")
                continue
            with problems.catch(config.source, f"{field}.electrode_positions", others=(str(path),)):
                from simlib.sonata.ecp import read_electrodes

                read_electrodes(path).select(spec.get("electrode_channels", "all"),
                                             source=f"{source}.electrode_channels")
