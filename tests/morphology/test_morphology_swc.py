"""Tests of simlib.morphology.swc: Allen files against NEURON's Import3d, round trips, broken files."""

import re
from pathlib import Path

import numpy as np
import pytest

from simlib.errors import FormatError
from simlib.morphology import APICAL, AXON, BASAL, SOMA, Morphology, read_swc, write_swc

# A soma and two branches with 3-4-5 triangles, so every length is known by hand.
TINY = """\
# tiny cell
# id type x y z radius parent
1 1 0 0 0 5 -1
2 3 3 4 0 1 1
3 3 6 8 0 0.5 2

4 4 0 5 0 1.5 1   # apical
5 4 0 5 12 1 4
6 2 0 -5 0 0.5 1
7 2 0 -8 -4 0.5 6
"""


def _write(tmp_path: Path, text: str, name: str = "cell.swc") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _arrays_equal(a: Morphology, b: Morphology) -> None:
    for name in ("ids", "types", "xyz", "radius", "parents"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# --- real files --------------------------------------------------------------------------------

def _allen_files():
    try:
        import bmtk
    except ImportError:
        return [pytest.param(None, marks=pytest.mark.skip(reason="bmtk (test-only oracle) not installed"))]
    folder = Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "morphologies"
    return [pytest.param(p.name, id=p.stem) for p in sorted(folder.glob("*.swc"))]


@pytest.mark.parity
@pytest.mark.parametrize("name", _allen_files())
def test_allen_files_match_neuron_import3d(name, allen_swc_dir, import3d):
    path = allen_swc_dir / name
    morph = read_swc(path)
    oracle = import3d(path)
    assert morph.counts_by_type() == oracle["samples"]
    assert morph.n_samples == sum(oracle["samples"].values())
    assert set(morph.types.tolist()) <= {SOMA, AXON, BASAL, APICAL}
    lengths = morph.lengths_by_type()
    for kind in (AXON, BASAL, APICAL):
        assert lengths.get(kind, 0.0) == pytest.approx(oracle["lengths"].get(kind, 0.0), rel=0.01), kind
    # Allen files have a one-sample soma: length 0 here, a cylinder with L = diam in Import3d.
    soma = np.flatnonzero(morph.types == SOMA)
    assert soma.size == 1 and lengths[SOMA] == 0.0
    # (NEURON stores 3-d points in single precision.)
    assert oracle["soma"] == pytest.approx((2 * morph.radius[soma[0]], 2 * morph.radius[soma[0]]), rel=1e-5)
    np.testing.assert_array_equal(morph.soma_center, morph.xyz[soma[0]])
    # Counting the soma -> neurite links adds their lengths back.
    assert morph.total_length(include_soma_links=True) > morph.total_length()


def test_allen_file_round_trip(allen_swc_dir, tmp_path):
    path = min(allen_swc_dir.glob("*.swc"))
    morph = read_swc(path)
    again = read_swc(write_swc(tmp_path / "copy.swc", morph, header="copy"))
    _arrays_equal(morph, again)
    assert again.path == tmp_path / "copy.swc"


# --- small hand-written files ------------------------------------------------------------------

def test_tiny_file_lengths_and_helpers(tmp_path):
    morph = read_swc(_write(tmp_path, TINY))
    assert morph.n_samples == 7
    np.testing.assert_array_equal(morph.ids, np.arange(1, 8))
    np.testing.assert_array_equal(morph.parents, [-1, 0, 1, 0, 3, 0, 5])
    np.testing.assert_array_equal(morph.parent_ids, [-1, 1, 2, 1, 4, 1, 6])
    np.testing.assert_allclose(morph.edge_lengths(), [0, 5, 5, 5, 12, 5, 5])
    assert morph.lengths_by_type() == {SOMA: 0.0, AXON: 5.0, BASAL: 5.0, APICAL: 12.0}
    assert morph.lengths_by_type(include_soma_links=True) == {SOMA: 0.0, AXON: 10.0, BASAL: 10.0, APICAL: 17.0}
    assert morph.total_length(BASAL) == 5.0
    assert morph.total_length() == 22.0
    assert morph.counts_by_type() == {SOMA: 1, AXON: 2, BASAL: 2, APICAL: 2}
    np.testing.assert_array_equal(morph.soma_center, [0, 0, 0])
    assert morph.radius.tolist() == [5, 1, 0.5, 1.5, 1, 0.5, 0.5]


def test_tiny_file_matches_import3d(tmp_path, import3d):
    path = _write(tmp_path, TINY)
    oracle = import3d(path)
    assert oracle["lengths"][BASAL] == pytest.approx(5.0)
    assert oracle["lengths"][APICAL] == pytest.approx(12.0)
    assert oracle["lengths"][AXON] == pytest.approx(5.0)
    assert len(oracle["roots"]) == 1


def test_float_ids_tabs_and_inline_comments(tmp_path):
    text = "1.0\t1\t0 0 0 5 -1.0\n  2.0 3 10 0 0 1 1  # a dendrite\n3e0 3 20 0 0 1 2.0\n"
    morph = read_swc(_write(tmp_path, text))
    np.testing.assert_array_equal(morph.ids, [1, 2, 3])
    np.testing.assert_array_equal(morph.parents, [-1, 0, 1])


def test_parent_after_child_is_accepted(tmp_path, import3d):
    """SWC does not require parents first; the tree is valid, so the file reads."""
    text = "5 3 20 0 0 1 4\n1 1 0 0 0 5 -1\n4 3 10 0 0 1 1\n3 2 0 -10 0 1 1\n2 2 0 -30 0 1 3\n"
    morph = read_swc(_write(tmp_path, text))
    np.testing.assert_array_equal(morph.parent_ids, [4, -1, 1, 1, 3])
    assert morph.lengths_by_type() == {SOMA: 0.0, AXON: 20.0, BASAL: 10.0}
    ordered = morph.renumbered()
    np.testing.assert_array_equal(ordered.ids, np.arange(1, 6))
    assert np.all(ordered.parents < np.arange(5))
    assert ordered.lengths_by_type() == morph.lengths_by_type()
    # NEURON's Import3d needs parents first: the renumbered file loads with the same lengths.
    oracle = import3d(write_swc(tmp_path / "ordered.swc", ordered))
    assert oracle["lengths"][AXON] == pytest.approx(20.0)
    assert oracle["lengths"][BASAL] == pytest.approx(10.0)


def test_custom_types_only_when_allowed(tmp_path):
    path = _write(tmp_path, "1 1 0 0 0 5 -1\n2 7 10 0 0 1 1\n3 0 20 0 0 1 2\n")
    with pytest.raises(FormatError, match=r"line 2: sample 2 has type 7; expected one of 1 \(soma\), 2 \(axon\)"):
        read_swc(path)
    assert read_swc(path, allow_custom_types=True).types.tolist() == [1, 7, 0]
    with pytest.raises(FormatError, match=r"line 2: sample 2 has type 25; .*0/5-19"):
        read_swc(_write(tmp_path, "1 1 0 0 0 5 -1\n2 25 10 0 0 1 1\n", "big.swc"), allow_custom_types=True)


def test_write_is_atomic_and_exact(tmp_path):
    morph = Morphology(ids=[1, 2, 3], types=[1, 3, 3], xyz=[[0, 0, 0], [0.1, 1 / 3, -2.5e-7], [1e6, 2, 3]],
                       radius=[5, 0.3, np.pi], parents=[-1, 0, 1])
    path = write_swc(tmp_path / "out" / "cell.swc", morph, header="line one\nline two")
    assert [p.name for p in path.parent.iterdir()] == ["cell.swc"]
    text = path.read_text()
    assert text.startswith("# line one\n# line two\n# id type x y z radius parent\n1 1 0 0 0 5 -1\n")
    _arrays_equal(read_swc(path), morph)


def test_missing_file(tmp_path):
    with pytest.raises(FormatError, match="file not found"):
        read_swc(tmp_path / "nope.swc")


# --- broken files ------------------------------------------------------------------------------

SOMA_LINE = "1 1 0 0 0 5 -1\n"

BROKEN = {
    "unknown type": (SOMA_LINE + "2 9 1 0 0 1 1\n",
                     (r"line 2: sample 2 has type 9; expected one of 1 \(soma\), 2 \(axon\), 3 \(basal dendrite\), "
                     r"4 \(apical dendrite\)")),
    "missing parent": (SOMA_LINE + "2 3 1 0 0 1 1\n3 3 2 0 0 1 40\n",
                       r"line 3: parent 40 of sample 3 does not exist; expected the id of another sample"),
    "cycle": (SOMA_LINE + "2 3 1 0 0 1 4\n3 3 2 0 0 1 2\n4 3 3 0 0 1 3\n",
              r"line 2: 3 samples form a cycle, each followed by its parent \(2 -> 4 -> 3 -> 2\)"),
    "own parent": (SOMA_LINE + "2 3 1 0 0 1 2\n", r"line 2: sample 2 is its own parent"),
    "multiple roots": (SOMA_LINE + "2 3 1 0 0 1 1\n3 3 9 0 0 1 -1\n",
                       (r"line 3: sample 3 is a second root \(parent -1; the first is sample 1 on line 1\); "
                       r"expected exactly one root")),
    "zero radius": (SOMA_LINE + "2 3 1 0 0 0 1\n", r"line 2: sample 2 has radius 0; expected a radius > 0"),
    "negative radius": (SOMA_LINE + "2 3 1 0 0 -1.5 1\n", r"line 2: sample 2 has radius -1.5"),
    "wrong column count": (SOMA_LINE + "2 3 1 0 0 1\n", r"line 2: 6 columns; expected 7 \(id type x y z radius parent\)"),
    "non-numeric": (SOMA_LINE + "2 3 1 abc 0 1 1\n", r"line 2: y 'abc' is not a finite number"),
    "non-integer id": (SOMA_LINE + "2.5 3 1 0 0 1 1\n", r"line 2: id '2.5' is not an integer"),
    "not finite": (SOMA_LINE + "2 3 1 nan 0 1 1\n", r"line 2: y 'nan' is not a finite number"),
    "duplicate id": (SOMA_LINE + "2 3 1 0 0 1 1\n2 3 2 0 0 1 1\n", r"line 3: id 2 already used on line 2"),
    "no soma": ("1 3 0 0 0 1 -1\n2 3 1 0 0 1 1\n", r"no sample of type 1 \(soma\); expected at least one"),
    "empty": ("", r"no samples found; expected lines of 7 columns"),
    "comments only": ("# nothing\n\n   \n", r"no samples found"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=lambda c: c.replace(" ", "_"))
def test_broken_file_raises_format_error(case, tmp_path):
    text, pattern = BROKEN[case]
    path = _write(tmp_path, text)
    with pytest.raises(FormatError) as info:
        read_swc(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert re.search(pattern, message), message
    # One problem, one line: nothing reported as a consequence of another problem.
    assert "\n" not in message, message


def test_several_problems_are_all_reported(tmp_path):
    text = (SOMA_LINE            # 1
            + "2 3 1 0 0 0 1\n"  # 2 zero radius
            + "# comment\n"      # 3
            + "3 8 2 0 0 1 2\n"  # 4 unknown type
            + "4 3 x 0 0 1 3\n"  # 5 non-numeric
            + "5 3 4 0 0 1 77\n"  # 6 missing parent
            + "6 3 5 0 1 6\n"    # 7 six columns
            + "5 3 6 0 0 1 1\n"  # 8 duplicate id
            + "9 3 7 0 0 1 -1\n"  # 9 second root
            + "10 3 8 0 0 1 4\n")  # 10 parent on a line that did not parse: not reported again
    path = _write(tmp_path, text)
    with pytest.raises(FormatError) as info:
        read_swc(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: 7 problems in SWC file:"
    reported = [int(re.search(r": line (\d+): ", line).group(1)) for line in lines[1:]]
    assert reported == [2, 4, 5, 6, 7, 8, 9]
    assert all(line.startswith(f"  {path}: line ") for line in lines[1:])


def test_problem_list_is_capped(tmp_path):
    text = SOMA_LINE + "".join(f"{i} 3 {i} 0 0 0 {i - 1}\n" for i in range(2, 32))
    with pytest.raises(FormatError) as info:
        read_swc(_write(tmp_path, text))
    lines = str(info.value).splitlines()
    assert lines[0].endswith("30 problems in SWC file:")
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  ... and 10 more problems"


def test_long_cycle_message_is_short(tmp_path):
    n = 500
    text = SOMA_LINE + "".join(f"{i} 3 {i} 0 0 1 {i + 1 if i < n else 2}\n" for i in range(2, n + 1))
    with pytest.raises(FormatError, match=r"line 2: 499 samples form a cycle.*\(2 -> 3 -> .* -> 9 -> \.\.\. -> 2\)"):
        read_swc(_write(tmp_path, text))


def test_morphology_checks_array_lengths():
    with pytest.raises(FormatError, match="arrays of different lengths"):
        Morphology(ids=[1, 2], types=[1], xyz=np.zeros((2, 3)), radius=[1, 1], parents=[-1, 0])
    with pytest.raises(FormatError, match="no sample of type 1"):
        _ = Morphology(ids=[1], types=[3], xyz=np.zeros((1, 3)), radius=[1], parents=[-1]).soma_center
