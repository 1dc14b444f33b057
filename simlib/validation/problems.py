"""Problems found by the validator: one record per problem (file, field, message), collected, never raised."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Iterator

_KEY = re.compile(r"^([A-Za-z_][\w-]*(?:\.[\w$-]+|\[\d+\])*): (.+)$")


@dataclass(frozen=True)
class Problem:
    """One thing that would stop a run: the file it is in, the field or place in it, and what is wrong."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.field, self.message) if part)


class Problems(list):
    """The problems of one validation, in the order found (each listed once)."""

    def add(self, file, field: str, message: str) -> None:
        problem = Problem(os.path.normpath(str(file)) if str(file) else "", field, message)
        if problem not in self:
            self.append(problem)

    def add_error(self, exc: BaseException, file, field: str = "", prefix: str | None = None,
                  others: tuple = (), keyed: bool = False) -> None:
        """Add the message of a reader's error, one problem per line.

        The file, field or ``prefix`` (a longer place the caller gave the reader, e.g.
        ``"<types csv>: node type(s) [100]"``) the message starts with are removed, as the
        problem names them already. A message starting with one of the ``others`` files is a
        problem of that file; one naming a key inside ``field`` (``inputs.lgn.node_set: ...``)
        is a problem of that key. ``keyed``: lines of a config's own checker start with the key
        (``run.tstop: expected ...``), which becomes the field.
        """
        text = str(exc) or type(exc).__name__
        if not _is_simlib_error(exc):    # a reader's own bug or an unforeseen file: still one line
            text = f"{type(exc).__name__}: {text}"
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].endswith(":"):   # a header such as "x.swc: 3 problems in SWC file:"
            lines = lines[1:]
        for line in lines:
            where, key = str(file), field
            other = next((str(o) for o in others if o and line.startswith(f"{o}: ")), None)
            if other is not None:
                where, line = other, line[len(other) + 2:]
            else:
                line = _strip(line, [p for p in (prefix, f"{file}: {field}" if field else None, str(file)) if p])
            if field and line.startswith(field) and line[len(field):len(field) + 1] in (".", "[") and ": " in line:
                key, line = line.split(": ", 1)
            elif keyed and not field and _KEY.match(line):
                key, line = _KEY.match(line).groups()
            self.add(where, key, line)

    @contextlib.contextmanager
    def catch(self, file, field: str = "", prefix: str | None = None, others: tuple = (),
              keyed: bool = False) -> Iterator[list]:
        """Run a reader; any error it raises becomes problems (see :meth:`add_error`).

        Yields a list that holds ``False`` after an error, so the caller can skip dependent checks.
        """
        ok = [True]
        try:
            yield ok
        except Exception as exc:  # noqa: BLE001 - a validator reports every failure of a reader, of any kind
            self.add_error(exc, file, field, prefix, others, keyed)
            ok[0] = False


def _is_simlib_error(exc: BaseException) -> bool:
    from simlib.errors import SimlibError

    return isinstance(exc, SimlibError)


def _strip(message: str, prefixes: list[str]) -> str:
    for prefix in prefixes:
        if message.startswith(prefix + ": "):
            return message[len(prefix) + 2:]
    return message
