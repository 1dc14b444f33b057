"""SWC morphology files: a validating pure-numpy reader, a writer and the `Morphology` arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simlib.errors import FormatError, where
from simlib.fileio import atomic_path, require_file
from simlib.morphology.sections import APICAL, AXON, BASAL, SOMA

SAMPLE_TYPES = {SOMA: "soma", AXON: "axon", BASAL: "basal dendrite", APICAL: "apical dendrite"}
# SWC (Cannon et al. 1998; neuromorpho.org) reserves 0 for "undefined" and 5+ for custom types.
CUSTOM_TYPES = (0,) + tuple(range(5, 20))
COLUMNS = ("id", "type", "x", "y", "z", "radius", "parent")
MAX_PROBLEMS = 20

_ACCEPTED = ", ".join(f"{t} ({name})" for t, name in SAMPLE_TYPES.items())


@dataclass(frozen=True, eq=False)
class Morphology:
    """The samples of one neuron reconstruction, as parallel arrays in file order.

    Attributes
    ----------
    ids : ndarray of int64, shape (n,)
        SWC sample ids (the first column).
    types : ndarray of int64, shape (n,)
        SWC sample types: 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite.
    xyz : ndarray of float64, shape (n, 3)
        Sample positions in µm.
    radius : ndarray of float64, shape (n,)
        Sample radii in µm.
    parents : ndarray of int64, shape (n,)
        Index (into these arrays, not an SWC id) of each sample's parent; -1 for the root.
    path : Path or None
        The file the samples were read from, if any (used in error messages).
    """

    ids: np.ndarray
    types: np.ndarray
    xyz: np.ndarray
    radius: np.ndarray
    parents: np.ndarray
    path: Path | None = None

    def __post_init__(self):
        object.__setattr__(self, "ids", np.asarray(self.ids, dtype=np.int64))
        object.__setattr__(self, "types", np.asarray(self.types, dtype=np.int64))
        object.__setattr__(self, "xyz", np.asarray(self.xyz, dtype=np.float64).reshape(-1, 3))
        object.__setattr__(self, "radius", np.asarray(self.radius, dtype=np.float64))
        object.__setattr__(self, "parents", np.asarray(self.parents, dtype=np.int64))
        n = self.ids.size
        shapes = {name: getattr(self, name).shape[0] for name in ("types", "xyz", "radius", "parents")}
        if any(size != n for size in shapes.values()):
            raise FormatError(f"{where(self.path or 'Morphology')}: arrays of different lengths "
                              f"(ids {n}, {', '.join(f'{k} {v}' for k, v in shapes.items())}); "
                              "expected one entry per sample")
        if np.any((self.parents < -1) | (self.parents >= n)):
            raise FormatError(f"{where(self.path or 'Morphology')}: parents: expected indices in [-1, {n - 1}]")

    @property
    def n_samples(self) -> int:
        """Number of samples (lines of the SWC file)."""
        return int(self.ids.size)

    @property
    def parent_ids(self) -> np.ndarray:
        """SWC id of each sample's parent; -1 for the root."""
        return np.where(self.parents >= 0, self.ids[self.parents], -1)

    @property
    def soma_center(self) -> np.ndarray:
        """Mean position (µm, shape (3,)) of the soma samples.

        For a single-sample soma this is the sample; for the 3-point convention the middle
        point; for a contour, its centroid.

        Raises
        ------
        FormatError
            The morphology has no soma sample.
        """
        soma = self.types == SOMA
        if not soma.any():
            raise FormatError(f"{where(self.path or 'Morphology')}: no sample of type 1 (soma); "
                              "expected at least one soma sample")
        return self.xyz[soma].mean(axis=0)

    def edge_lengths(self) -> np.ndarray:
        """Distance (µm) from each sample to its parent; 0 for the root."""
        parent_xyz = np.where((self.parents >= 0)[:, None], self.xyz[np.maximum(self.parents, 0)], self.xyz)
        return np.linalg.norm(self.xyz - parent_xyz, axis=1)

    def _counted(self, include_soma_links: bool) -> np.ndarray:
        """Edge lengths, with soma -> neurite links zeroed unless they are included."""
        lengths = self.edge_lengths()
        if not include_soma_links:
            has_parent = self.parents >= 0
            parent_type = np.where(has_parent, self.types[np.maximum(self.parents, 0)], 0)
            lengths[has_parent & (parent_type == SOMA) & (self.types != SOMA)] = 0.0
        return lengths

    def total_length(self, sample_type: int | None = None, include_soma_links: bool = False) -> float:
        """Total cable length (µm) of the samples of one type (all types if None).

        Each sample contributes the distance to its parent. A link from a soma sample to the
        first sample of a neurite is not counted unless `include_soma_links`: the soma's own
        geometry covers it, and NEURON's Import3d drops it too (it connects multi-sample
        neurites to a soma by a zero-length "wire"). A single-sample soma therefore has length
        0 here, while Import3d gives its cylinder L = diameter.
        """
        lengths = self._counted(include_soma_links)
        if sample_type is None:
            return float(lengths.sum())
        return float(lengths[self.types == int(sample_type)].sum())

    def lengths_by_type(self, include_soma_links: bool = False) -> dict[int, float]:
        """{sample type: total length in µm} for every type present (see `total_length`)."""
        lengths = self._counted(include_soma_links)
        present = np.unique(self.types)
        sums = np.bincount(np.searchsorted(present, self.types), weights=lengths, minlength=present.size)
        return {int(t): float(s) for t, s in zip(present, sums)}

    def counts_by_type(self) -> dict[int, int]:
        """{sample type: number of samples} for every type present."""
        present, counts = np.unique(self.types, return_counts=True)
        return {int(t): int(c) for t, c in zip(present, counts)}

    def renumbered(self) -> Morphology:
        """A copy in depth-first order from the root, ids 1..n, every parent before its children.

        NEURON's Import3d needs parent id < sample id; `read_swc` also accepts files whose
        parents come later, and this puts them in an order any reader accepts.
        """
        n = self.n_samples
        children: list[list[int]] = [[] for _ in range(n)]
        for child, parent in enumerate(self.parents.tolist()):
            if parent >= 0:
                children[parent].append(child)
        order: list[int] = []
        stack = [int(i) for i in np.flatnonzero(self.parents < 0)[::-1]]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(children[node]))
        order_arr = np.asarray(order, dtype=np.int64)
        new_index = np.empty(n, dtype=np.int64)
        new_index[order_arr] = np.arange(n)
        old_parents = self.parents[order_arr]
        parents = np.where(old_parents >= 0, new_index[np.maximum(old_parents, 0)], -1)
        return Morphology(ids=np.arange(1, n + 1), types=self.types[order_arr], xyz=self.xyz[order_arr],
                          radius=self.radius[order_arr], parents=parents, path=self.path)


def _integer(token: str) -> int | None:
    """The integer a token spells (`3`, `3.0`, `3e0`), or None."""
    try:
        value = float(token)
    except ValueError:
        return None
    if not math.isfinite(value) or value != int(value):
        return None
    return int(value)


def _parse(text: str, problems: list[tuple[int, str]]) -> tuple[list[int], list[list[float]], list[int | None]]:
    """Line numbers and [id, type, x, y, z, radius, parent] rows of the lines that parse, and
    the ids of those that do not (None where even the id is unreadable)."""
    lines: list[int] = []
    rows: list[list[float]] = []
    unparsed: list[int | None] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tokens = line.split()
        if len(tokens) != len(COLUMNS):
            problems.append((number, f"{len(tokens)} columns; expected 7 ({' '.join(COLUMNS)})"))
            unparsed.append(_integer(tokens[0]))
            continue
        row: list[float] = []
        bad = []
        for name, token in zip(COLUMNS, tokens):
            if name in ("id", "type", "parent"):
                value = _integer(token)
                if value is None:
                    bad.append(f"{name} {token!r} is not an integer")
            else:
                try:
                    value = float(token)
                except ValueError:
                    value = None
                if value is None or not math.isfinite(value):
                    bad.append(f"{name} {token!r} is not a finite number")
            row.append(value)
        if bad:
            problems.append((number, (f"{'; '.join(bad)}; expected 7 numbers ({' '.join(COLUMNS)}), "
                                     "id, type and parent integers")))
            unparsed.append(row[0])
            continue
        lines.append(number)
        rows.append(row)
    return lines, rows, unparsed


def _cycles(parents: np.ndarray) -> list[list[int]]:
    """Index lists of the parent loops (each in parent order); `parents` has -1 for roots."""
    n = parents.size
    if n == 0:
        return []
    jump = np.where(parents >= 0, parents, np.arange(n))
    # After >= n pointer-jumping steps every sample sits on a root or on a loop.
    for _ in range(max(1, int(n).bit_length()) + 1):
        jump = jump[jump]
    on_loop = np.unique(jump[parents[jump] >= 0])
    seen = np.zeros(n, dtype=bool)
    loops = []
    for start in on_loop.tolist():
        if seen[start]:
            continue
        loop = [start]
        seen[start] = True
        node = int(parents[start])
        while node != start:
            loop.append(node)
            seen[node] = True
            node = int(parents[node])
        loops.append(loop)
    return loops


def _structure(lines: np.ndarray, ids: np.ndarray, types: np.ndarray, radius: np.ndarray,
               parent_ids: np.ndarray, unparsed_ids: np.ndarray, incomplete: bool, allow_custom_types: bool,
               problems: list[tuple[int, str]]) -> np.ndarray:
    """Check types, radii, ids and the tree; return parent indices (-1 for roots and missing parents).

    `unparsed_ids` are the readable ids of lines that did not parse. If any line failed, the
    checks that need every sample (no root, no soma) are skipped, and a parent on a failed
    line is not reported again as missing: they would be consequences of the parse error.
    """
    accepted = set(SAMPLE_TYPES) | (set(CUSTOM_TYPES) if allow_custom_types else set())
    expected_types = _ACCEPTED + (" or 0/5-19 (undefined/custom)" if allow_custom_types else
                                  " (pass allow_custom_types=True for 0 and 5-19)")
    for i in np.flatnonzero(~np.isin(types, list(accepted))).tolist():
        problems.append((int(lines[i]), f"sample {ids[i]} has type {types[i]}; expected one of {expected_types}"))
    for i in np.flatnonzero(radius <= 0).tolist():
        problems.append((int(lines[i]), f"sample {ids[i]} has radius {radius[i]:g}; expected a radius > 0 µm"))

    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    repeated = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1]) + 1
    first_of = np.searchsorted(sorted_ids, sorted_ids, side="left")
    for k in repeated.tolist():
        i, first = order[k], order[first_of[k]]
        problems.append((int(lines[i]), f"id {ids[i]} already used on line {lines[first]}; expected unique sample ids"))

    if ids.size == 0:
        return np.zeros(0, dtype=np.int64)
    pos = np.searchsorted(sorted_ids, parent_ids).clip(0, ids.size - 1)
    found = sorted_ids[pos] == parent_ids
    parents = np.where(found, order[pos], -1)
    # A parent on a line that did not parse is reported there, not again as missing.
    missing = ~found & (parent_ids != -1) & ~np.isin(parent_ids, unparsed_ids)
    for i in np.flatnonzero(missing).tolist():
        problems.append((int(lines[i]), (f"parent {parent_ids[i]} of sample {ids[i]} does not exist; "
                                        "expected the id of another sample in the file or -1")))

    roots = np.flatnonzero(parent_ids == -1)
    for i in roots[1:].tolist():
        problems.append((int(lines[i]), (f"sample {ids[i]} is a second root (parent -1; the first is sample "
                                        f"{ids[roots[0]]} on line {lines[roots[0]]}); expected exactly one root")))
    for loop in _cycles(parents):
        first = min(loop, key=lambda j: lines[j])
        if len(loop) == 1:
            text = f"sample {ids[first]} is its own parent"
        else:
            shown = [str(ids[j]) for j in loop[:8]] + (["..."] if len(loop) > 8 else [])
            chain = " -> ".join(shown + [str(ids[loop[0]])])
            text = f"{len(loop)} samples form a cycle, each followed by its parent ({chain})"
        problems.append((int(lines[first]), f"{text}; expected every sample to lead to a root (parent -1)"))
    if roots.size == 0 and not incomplete:
        problems.append((0, "no root sample; expected exactly one sample with parent -1"))
    if not np.any(types == SOMA) and not incomplete:
        problems.append((0, "no sample of type 1 (soma); expected at least one soma sample"))
    return parents


def _raise(path: Path, problems: list[tuple[int, str]]) -> None:
    """Raise one FormatError listing the first MAX_PROBLEMS problems, by line."""
    problems = sorted(problems, key=lambda p: (p[0] == 0, p[0]))
    messages = [f"{path}: line {line}: {text}" if line else f"{path}: {text}" for line, text in problems]
    if len(messages) == 1:
        raise FormatError(messages[0])
    shown = messages[:MAX_PROBLEMS]
    more = len(messages) - len(shown)
    tail = [f"  ... and {more} more problem{'s' if more > 1 else ''}"] if more else []
    raise FormatError("\n".join([f"{path}: {len(messages)} problems in SWC file:"] + [f"  {m}" for m in shown] + tail))


def read_swc(path, allow_custom_types: bool = False) -> Morphology:
    """Read and validate an SWC morphology file.

    Lines hold ``id type x y z radius parent`` separated by whitespace; ``#`` starts a
    comment and blank lines are skipped. Ids, types and parents may be written as floats
    (``1.0``) if they are whole numbers. Samples may come in any order: a parent listed after
    its child is accepted as long as the samples form one tree (the SWC specification does
    not require parents first), but NEURON's Import3d does require parent id < id, so use
    :meth:`Morphology.renumbered` before handing such a file to NEURON.

    Parameters
    ----------
    path : str or path-like
        The SWC file.
    allow_custom_types : bool
        Also accept types 0 (undefined) and 5-19 (custom). By default only 1 soma, 2 axon,
        3 basal and 4 apical dendrite are accepted (the Allen Cell Types files use only these).

    Returns
    -------
    Morphology
        The samples in file order, radii and positions in µm.

    Raises
    ------
    FormatError
        The file is missing or invalid. Every problem found (wrong column count, non-numeric
        value, unknown type, radius <= 0, duplicate id, missing parent, cycle, more than one
        or no root, no soma, no samples) is listed with its line number, up to 20.
    """
    path = require_file(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    problems: list[tuple[int, str]] = []
    lines, rows, unparsed = _parse(text, problems)
    if not rows and not problems:
        raise FormatError(f"{path}: no samples found; expected lines of 7 columns ({' '.join(COLUMNS)})")
    table = np.asarray(rows, dtype=np.float64).reshape(-1, len(COLUMNS))
    ids = table[:, 0].astype(np.int64)
    types = table[:, 1].astype(np.int64)
    radius = table[:, 5]
    parent_ids = table[:, 6].astype(np.int64)
    line_numbers = np.asarray(lines, dtype=np.int64)
    readable = np.asarray([i for i in unparsed if i is not None], dtype=np.int64)
    parents = _structure(line_numbers, ids, types, radius, parent_ids, readable, bool(unparsed),
                         allow_custom_types, problems)
    if problems:
        _raise(path, problems)
    return Morphology(ids=ids, types=types, xyz=table[:, 2:5].copy(), radius=radius.copy(),
                      parents=parents, path=path)


def _number(value: float) -> str:
    """Shortest text that reads back as the same float (integers without '.0')."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def write_swc(path, morphology: Morphology, header: str | None = None) -> Path:
    """Write a morphology as an SWC file (atomically), samples in the morphology's order.

    Numbers are written in their shortest exact form, so `read_swc` gives back the same
    arrays; round them first (as the synthetic generators do) for compact files.

    Parameters
    ----------
    path : str or path-like
        The file to write; missing folders are created.
    morphology : Morphology
        The samples.
    header : str, optional
        Text written as ``#`` comment lines before the column names.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    out = []
    if header:
        out.extend(f"# {line}".rstrip() for line in header.splitlines())
    out.append("# " + " ".join(COLUMNS))
    parent_ids = morphology.parent_ids.tolist()
    for sid, stype, (x, y, z), r, pid in zip(morphology.ids.tolist(), morphology.types.tolist(),
                                             morphology.xyz.tolist(), morphology.radius.tolist(), parent_ids):
        out.append(f"{sid} {stype} {_number(x)} {_number(y)} {_number(z)} {_number(r)} {pid}")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
