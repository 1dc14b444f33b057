"""The test tree itself: pytest imports test modules by basename (rootdir-relative, no packages), so two
test files with the same name in different folders stop the whole collection."""

from collections import Counter


def test_test_module_names_are_unique(repo):
    names = Counter(p.name for p in (repo / "tests").rglob("*.py") if p.name != "conftest.py")
    assert [name for name, count in names.items() if count > 1] == []
