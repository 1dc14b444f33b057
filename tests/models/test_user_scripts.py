"""User network scripts run under simlib.userfiles: their errors name the script and the line."""

import re

import pytest

from simlib.errors import BuildError, ConfigError
from simlib.models import build_from_script


def test_script_with_syntax_error_names_file_and_line(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("def build_network(output_dir, seed):\n    return [\n\nx = = 1\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(script))}: line \d+: loading the network script "
                                          r"failed: SyntaxError: "):
        build_from_script(script, tmp_path, seed=1)


def test_script_raising_at_import_names_file_and_line(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("import math\n\nRADIUS = math.sqrt(-1)\n\ndef build_network(output_dir, seed):\n    return []\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(script))}: line 3: loading the network script failed: "
                                          r"ValueError: math domain error$"):
        build_from_script(script, tmp_path, seed=1)


def test_script_raising_in_build_network_names_the_line(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("def helper():\n    return {}['x']\n\ndef build_network(output_dir, seed):\n    helper()\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(script))}: line 2: build_network\(\) failed: KeyError"):
        build_from_script(script, tmp_path, seed=1)


def test_simlib_errors_of_a_script_pass_through(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("from simlib.builder import NetworkBuilder\n\ndef build_network(output_dir, seed):\n"
                      "    NetworkBuilder('')\n")
    with pytest.raises(BuildError, match="name must be a non-empty string"):
        build_from_script(script, tmp_path, seed=1)


def test_script_may_define_dataclasses(tmp_path):
    """The script runs as a module registered in sys.modules, as an imported module does."""
    script = tmp_path / "net.py"
    # with string annotations, dataclasses looks the class's module up in sys.modules
    script.write_text("from __future__ import annotations\nfrom dataclasses import dataclass\n\n@dataclass\n"
                      "class P:\n    n: int = 1\n\n"
                      "def build_network(output_dir, seed):\n    return [type(P()).__name__]\n")
    assert build_from_script(script, tmp_path, seed=1) == ["P"]
