"""Exception hierarchy of simlib: every error a user can cause is one of these."""


class SimlibError(Exception):
    """Base class of all errors raised by simlib on bad input or state."""


class ConfigError(SimlibError):
    """A configuration (workflow YAML or SONATA JSON) is invalid."""


class FormatError(SimlibError):
    """A data file (SONATA h5, CSV, NWB, SWC, ...) is missing, malformed or inconsistent."""


class BuildError(SimlibError):
    """A network description cannot be built (bad properties, bad connection rule output)."""


def where(path, field=None) -> str:
    """Format the 'file: field' prefix used by error messages."""
    path = str(path)
    return f"{path}: {field}" if field else path


def show_value(value, limit: int = 60) -> str:
    """A value as the user wrote it in JSON (``repr`` if it is not JSON), cut to `limit` characters."""
    import json

    if hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
