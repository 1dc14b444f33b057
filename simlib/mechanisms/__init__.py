"""The NMODL mechanisms of the Allen perisomatic/all-active fits, and compiling and loading them."""

# Each *.mod file here implements the published kinetics named in its header; SpikeSource.mod
# is the event source of virtual cells (simlib.mechanisms.events); VecStim.mod is our own VecStim,
# the event source BMTK's BioNet builds virtual cells from, so BMTK runs the workflow's configs with
# these mechanisms. NEURON is imported only inside the functions that need it.

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from simlib.errors import SimlibError, where
from simlib.fileio import read_json, remove_stale_temps, temp_path

MOD_DIR = Path(__file__).resolve().parent

MECHANISMS = (
    "NaTs", "NaTa", "Nap", "NaV", "K_P", "K_T", "Kv3_1", "Kd", "Kv2like", "Im", "Im_v2",
    "Ih", "SK", "Ca_HVA", "Ca_LVA", "CaDynamics", "SpikeSource", "VecStim",
)

_STAMP = ".simlib-nrnmech.json"
_LOG_TAIL_LINES = 40
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_NAME_DECL = re.compile(r"^\s*(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+(\w+)", re.MULTILINE)
# libraries loaded into this process by load_mechanisms (NEURON cannot unload them)
_loaded: set[Path] = set()


def find_nrnivmodl() -> Path:
    """Return the ``nrnivmodl`` of the running Python's environment, else the one on PATH.

    Raises
    ------
    SimlibError
        If neither exists.
    """
    beside = Path(sys.executable).parent / "nrnivmodl"
    if beside.is_file():
        return beside
    found = shutil.which("nrnivmodl")
    if found is None:
        raise SimlibError(f"nrnivmodl: not found next to {sys.executable} nor on PATH; "
                          "expected NEURON to be installed (pip install neuron)")
    return Path(found)


def mod_files(mod_dir: Path) -> list[Path]:
    """The ``*.mod`` files of ``mod_dir``, sorted by name.

    Raises
    ------
    SimlibError
        If the folder does not exist or holds no mod file.
    """
    mod_dir = Path(mod_dir)
    files = sorted(mod_dir.glob("*.mod")) if mod_dir.is_dir() else []
    if not files:
        raise SimlibError(f"{where(mod_dir)}: expected a folder of NMODL *.mod files")
    return files


def mechanism_names(lib_or_dir: Path) -> tuple[str, ...]:
    """Mechanism names (SUFFIX, POINT_PROCESS, ARTIFICIAL_CELL) declared by a set of mod files.

    ``lib_or_dir`` is a folder of mod files, a folder made by :func:`compile_mechanisms`, or
    the ``libnrnmech.so`` inside it (whose mod files lie one folder up).
    """
    path = Path(lib_or_dir)
    if path.is_file():
        path = path.parent.parent
    names = []
    for mod in mod_files(path):
        names += [m.group(2) for m in _NAME_DECL.finditer(_strip_comments(mod.read_text()))]
    return tuple(names)


def compile_mechanisms(mod_dir: Path = MOD_DIR, *, output_dir: Path, coreneuron: bool = False) -> Path:
    """Compile the mod files of ``mod_dir`` with ``nrnivmodl`` into ``output_dir``.

    The mod files are copied into a temporary folder beside ``output_dir``, compiled there and
    the folder is then renamed to ``output_dir``, so a failed or interrupted build never leaves
    a half-built ``output_dir``. If ``output_dir`` already holds a build of the same mod files
    with the same options and NEURON version, it is reused.

    Parameters
    ----------
    mod_dir
        Folder of ``*.mod`` files; simlib's own mechanisms by default.
    output_dir
        Folder that receives the mod files and the ``<machine>/`` build folder.
    coreneuron
        Also build the CoreNEURON library (``nrnivmodl -coreneuron``).

    Returns
    -------
    Path
        ``output_dir/<platform.machine()>/libnrnmech.so``, for :func:`load_mechanisms`.

    Raises
    ------
    SimlibError
        If nrnivmodl is missing or fails; the message names the failing mod file when the
        log tells which, and ends with the tail of the compiler log.
    """
    sources = mod_files(mod_dir)
    output_dir = Path(output_dir).resolve()
    nrnivmodl = find_nrnivmodl()
    stamp = _build_stamp(sources, coreneuron)
    if _stamp_matches(output_dir, stamp):
        return _library(output_dir)

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(output_dir.parent)   # builds of killed runs
    build = temp_path(output_dir)
    build.mkdir()
    try:
        for mod in sources:
            shutil.copy2(mod, build / mod.name)
        command = [str(nrnivmodl), *(["-coreneuron"] if coreneuron else [])]
        env = {**os.environ, "PATH": f"{nrnivmodl.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = subprocess.run(command, cwd=build, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, check=False)
        log = _ANSI_ESCAPE.sub("", result.stdout)
        (build / "nrnivmodl.log").write_text(log)
        if result.returncode != 0:
            raise SimlibError(_failure_message(mod_dir, command, result.returncode, log))
        _library(build)  # raises if nrnivmodl succeeded without making the library
        (build / _STAMP).write_text(json.dumps(stamp, indent=1))
        _replace_dir(build, output_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return _library(output_dir)


def load_mechanisms(path: Path) -> Path:
    """Load a compiled mechanism library into this process's NEURON, once.

    ``path`` is the ``libnrnmech.so`` returned by :func:`compile_mechanisms` or the folder
    given to it as ``output_dir``. Loading the same library again does nothing. NEURON keeps
    a library for the life of the process, and two libraries defining the same mechanism name
    cannot both be loaded (``import neuron`` also auto-loads ``./<machine>/libnrnmech.so``
    from the working directory). If the build has a CoreNEURON library
    (``compile_mechanisms(coreneuron=True)``), the environment variable ``CORENEURONLIB`` is
    set to it, which is how NEURON finds the mechanisms when it hands a model to CoreNEURON.

    Returns
    -------
    Path
        The library loaded.

    Raises
    ------
    SimlibError
        If no library is found at ``path`` or NEURON refuses to load it.
    """
    path = Path(path)
    lib = (path if path.is_file() else _library(path)).resolve()
    if lib in _loaded:
        return lib
    from neuron import h

    try:
        ok = h.nrn_load_dll(str(lib))
    except RuntimeError as err:
        raise SimlibError(f"{where(lib)}: NEURON could not load the library ({err}); a library "
                          "defining the same mechanism names may already be loaded in this process, "
                          "e.g. auto-loaded from ./" + platform.machine()) from err
    if not ok:
        raise SimlibError(f"{where(lib)}: NEURON could not load the library")
    _loaded.add(lib)
    core = lib.with_name(lib.name.replace("libnrnmech", "libcorenrnmech"))
    if core.is_file():
        os.environ["CORENEURONLIB"] = str(core)
    return lib


def mechanisms_library(folder, coreneuron: bool = False, compile_missing: bool = True) -> Path:
    """The mechanism library of a BMTK-style ``components.mechanisms_dir``, compiling it in place if needed.

    ``folder`` may be a ``libnrnmech.so``, a folder already compiled by nrnivmodl (``<machine>/``
    inside, as ``nrnivmodl modfiles`` leaves it), a folder made by :func:`compile_mechanisms`,
    or a folder of mod files or holding ``modfiles/`` (as BMTK's components), which is then
    compiled into ``folder/<machine>/`` (atomically: a failed build leaves nothing behind).

    Raises
    ------
    SimlibError
        No library and no mod files; ``coreneuron`` asked of a library built without
        ``-coreneuron``; or nrnivmodl failing.
    """
    folder = Path(folder)
    if folder.is_file():
        lib = folder
    else:
        lib = _existing_library(folder)
        if lib is None:
            mods = folder / "modfiles" if (folder / "modfiles").is_dir() else folder
            if not compile_missing or not list(mods.glob("*.mod")):
                raise SimlibError(f"{where(folder)}: expected a compiled mechanisms folder "
                                  f"({platform.machine()}/libnrnmech.so inside), a folder of *.mod files or one "
                                  "holding modfiles/")
            built = compile_mechanisms(mods, output_dir=folder / f".build-{platform.machine()}",
                                       coreneuron=coreneuron)
            target = folder / platform.machine()
            if not target.exists():
                os.replace(built.parent, target)
            shutil.rmtree(built.parent.parent, ignore_errors=True)
            lib = _existing_library(folder)
    if coreneuron and not lib.with_name(lib.name.replace("libnrnmech", "libcorenrnmech")).is_file():
        raise SimlibError(f"{where(lib)}: built without CoreNEURON support; run.backend 'coreneuron' needs the "
                          "mod files compiled with 'nrnivmodl -coreneuron' (libcorenrnmech beside libnrnmech)")
    return lib


def _existing_library(folder: Path) -> Path | None:
    for sub in (Path(platform.machine()), Path(platform.machine()) / ".libs"):
        for name in ("libnrnmech.so", "libnrnmech.dylib"):
            if (folder / sub / name).is_file():
                return folder / sub / name
    return None


def _library(output_dir: Path) -> Path:
    arch = Path(output_dir) / platform.machine()
    for name in ("libnrnmech.so", "libnrnmech.dylib"):
        if (arch / name).is_file():
            return arch / name
    raise SimlibError(f"{where(arch)}: expected libnrnmech.so, the library built by nrnivmodl")


def _build_stamp(sources: list[Path], coreneuron: bool) -> dict:
    digest = hashlib.sha256()
    for mod in sources:
        digest.update(mod.name.encode() + b"\0" + mod.read_bytes() + b"\0")
    try:
        neuron_version = metadata.version("neuron")
    except metadata.PackageNotFoundError:  # e.g. NEURON built from source
        neuron_version = "unknown"
    return {"mod_sha256": digest.hexdigest(), "coreneuron": coreneuron, "neuron": neuron_version,
            "machine": platform.machine()}


def _stamp_matches(output_dir: Path, stamp: dict) -> bool:
    try:
        old = read_json(output_dir / _STAMP)
        _library(output_dir)
    except (OSError, ValueError, SimlibError):
        return False
    return old == stamp


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``, replacing an existing ``target``."""
    if target.exists():
        old = temp_path(target)
        old.mkdir()
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def _failure_message(mod_dir: Path, command: list[str], returncode: int, log: str) -> str:
    failed = _failed_mod_files(log)
    which = f"failed on {', '.join(failed)}" if failed else "failed"
    tail = "\n".join(_without_tracebacks(log.rstrip().splitlines())[-_LOG_TAIL_LINES:])
    return (f"{where(mod_dir)}: {' '.join(Path(c).name for c in command)} {which} (exit status {returncode}); "
            f"expected every mod file to compile. Last lines of the log:\n{tail}")


def _without_tracebacks(lines: list[str]) -> list[str]:
    """Log lines without the Python tracebacks of nrnivmodl's own scripts (their last line, the error, stays):
    the user's problem is the mod file, not the compiler's call stack."""
    kept, inside = [], False
    for line in lines:
        if line.startswith("Traceback (most recent call last)"):
            inside = True
            continue
        if inside and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        inside = False
        kept.append(line)
    return kept


def _failed_mod_files(log: str) -> list[str]:
    """Mod files named by error lines of an nrnivmodl log (nocmodl, nmodl or make)."""
    names = []
    patterns = (r"in file (\w+)\.mod", r"\[[^\]]*?(\w+)\.(?:cpp|c|o)\] Error",
                r"(\w+)\.mod\b.*(?:error|Error|ERROR)", r"(?:error|Error|ERROR).*?(\w+)\.mod\b")
    for pattern in patterns:
        for match in re.finditer(pattern, log):
            name = f"{match.group(1)}.mod"
            if name not in names and name != "mod_func.mod":
                names.append(name)
    return names


def _strip_comments(text: str) -> str:
    text = re.sub(r"^\s*COMMENT\b.*?^\s*ENDCOMMENT\b", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r":.*", "", text)
