"""Exception hierarchy of simlib: every error a user can cause is one of these."""


class SimlibError(Exception):
    """Base class of all errors raised by simlib on bad input or state."""


class ConfigError(SimlibError):
    """A configuration (workflow YAML or SONATA JSON) is invalid."""


class FormatError(SimlibError):
    """A data file (SONATA h5, CSV, NWB, SWC, ...) is missing, malformed or inconsistent."""


class BuildError(SimlibError):
    """A network description cannot be built (bad properties, bad connection rule output)."""


class OutputError(SimlibError):
    """An output file or folder cannot be written (disk full, I/O error, no permission, not a folder)."""


# Where BMTK (or the Python/numpy call it makes) raises a built-in exception for the same mistake,
# simlib's error is also that built-in, so scripts and tests written against BMTK keep catching it.

class ConfigValueError(ConfigError, ValueError):
    """A ConfigError that BMTK raises as ValueError (invalid JSON, a negative rate, a bad time window)."""


class ConfigTypeError(ConfigError, TypeError):
    """A ConfigError that BMTK raises as TypeError (a seed that is not a whole number)."""


class ConfigFileNotFoundError(ConfigError, FileNotFoundError):
    """A configuration file that does not exist (BMTK: FileNotFoundError)."""


class FormatValueError(FormatError, ValueError):
    """A FormatError that BMTK raises as ValueError (node ids and timestamps of different lengths)."""


class FormatFileNotFoundError(FormatError, FileNotFoundError):
    """A data file that does not exist (BMTK: FileNotFoundError)."""


class BuildValueError(BuildError, ValueError):
    """A BuildError that BMTK raises as ValueError (an empty network name, a duplicate node_id)."""


class BuildTypeError(BuildError, TypeError):
    """A BuildError that BMTK raises as TypeError (a network name that is not a string)."""


_WITH_BUILTIN = {(ConfigError, ValueError): ConfigValueError, (ConfigError, TypeError): ConfigTypeError,
                 (ConfigError, FileNotFoundError): ConfigFileNotFoundError,
                 (FormatError, ValueError): FormatValueError, (FormatError, FileNotFoundError): FormatFileNotFoundError,
                 (BuildError, ValueError): BuildValueError, (BuildError, TypeError): BuildTypeError}


def with_builtin(error: type[SimlibError], builtin: type[Exception]) -> type[SimlibError]:
    """The subclass of `error` that is also `builtin` (e.g. ConfigError + ValueError), else `error` itself."""
    return _WITH_BUILTIN.get((error, builtin), error)


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
