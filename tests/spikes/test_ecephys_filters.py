"""ecephys_probe unit and interval filters: a fixed table of operators, never code from the config."""

import pandas as pd
import pytest

from simlib.errors import ConfigError
from simlib.spikes.ecephys import filter_table

TABLE = pd.DataFrame({"location": ["VISl", "CA1", "VISl", "LGd"], "snr": [1.0, 2.5, 4.0, 0.5]},
                     index=pd.Index([10, 11, 12, 13], name="unit_id"))


@pytest.mark.parametrize("operation, value, kept", [("==", 2.5, [11]), ("!=", 2.5, [10, 12, 13]), ("<", 1.0, [13]),
                                                    ("<=", 1.0, [10, 13]), (">", 2.5, [12]), (">=", 2.5, [11, 12])])
def test_each_operator(operation, value, kept):
    out = filter_table(TABLE, {"snr": {"operation": operation, "value": value}}, "sim.json: inputs.x.units")
    assert out.index.tolist() == kept


def test_values_and_lists():
    assert filter_table(TABLE, {"location": "VISl"}, "s").index.tolist() == [10, 12]
    assert filter_table(TABLE, {"location": ["CA1", "LGd"]}, "s").index.tolist() == [11, 13]
    assert filter_table(TABLE, {"quality": {"column": "snr", "operation": ">", "value": 1}}, "s").index.tolist() == \
        [11, 12]


@pytest.mark.parametrize("operation", ["in", "is", "> 0 or True or", "__import__('os').system('touch pwned') or ==",
                                       "lambda", None, 3])
def test_anything_else_is_refused_not_evaluated(tmp_path, monkeypatch, operation):
    """BMTK builds 'table["col"] <op> <value>' and eval()s it; simlib looks the operator up in a table."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^sim.json: inputs.x.units.snr: expected \{operation: one of ==, !=, <, "
                                          r"<=, >, >=, value\}$"):
        filter_table(TABLE, {"snr": {"operation": operation, "value": 1}}, "sim.json: inputs.x.units")
    assert list(tmp_path.iterdir()) == []


def test_no_eval_or_exec_in_simlib(repo):
    """No eval/exec/compile of strings anywhere in simlib or the rule scripts (user code runs only as files:
    functions_file and network scripts, through simlib.userfiles)."""
    import ast

    # compiled there only to compare with the bytecode of a user's function that already runs; never executed
    allowed = {("simlib/builder/pair_program.py", "compile")}
    calls = []
    for path in sorted([*(repo / "simlib").rglob("*.py"), *(repo / "scripts").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("eval", "exec", "compile", "__import__") and \
                    (str(path.relative_to(repo)), node.func.id) not in allowed:
                calls.append(f"{path.relative_to(repo)}:{node.lineno}: {node.func.id}")
    assert calls == []
