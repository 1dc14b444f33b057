"""Spike file formats: the accepted ``file_type`` names and file extensions, and the format each means."""

from __future__ import annotations

from pathlib import Path

from simlib.errors import ConfigError, FormatError

FILE_TYPES = {"sonata": "sonata", "h5": "sonata", "hdf5": "sonata", "hdf": "sonata",
              "csv": "csv", "txt": "csv", "nwb": "nwb"}
"""Accepted ``file_type`` names (also the config's spike input ``module`` names) and the format each means."""

EXTENSIONS = {".h5": "sonata", ".hdf5": "sonata", ".hdf": "sonata", ".sonata": "sonata",
              ".csv": "csv", ".txt": "csv", ".nwb": "nwb"}
"""File extensions and the format each one means."""


def spike_file_type(path, file_type: str | None = None) -> str:
    """The format of a spike file: 'sonata', 'csv' or 'nwb'.

    Parameters
    ----------
    path : str or path-like
        The file; its extension decides when `file_type` is None.
    file_type : str, optional
        An explicit type: one of ``FILE_TYPES`` (e.g. 'sonata', 'h5', 'hdf5', 'csv', 'nwb').

    Raises
    ------
    ConfigError
        If `file_type` is not an accepted name.
    FormatError
        If `file_type` is None and the extension is not known.
    """
    if file_type is not None:
        key = str(file_type).lower()
        if key not in FILE_TYPES:
            raise ConfigError(f"file_type: unknown value {file_type!r} for {path}; expected one of "
                              f"{', '.join(FILE_TYPES)}")
        return FILE_TYPES[key]
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise FormatError(f"{path}: cannot tell the spike file type from extension {suffix!r}; expected one of "
                          f"{', '.join(EXTENSIONS)}, or pass file_type= one of {', '.join(FILE_TYPES)}")
    return EXTENSIONS[suffix]
