"""Where templates come from, and the quoting every template relies on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from realtools import require

import compiler
from compiler.emit.launch import quoting, templating
from compiler.emit.launch.targets import TARGETS
from compiler.emit.services.base import RUNTIME_IP


def test_templates_dir_prefers_the_packaged_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "compiler"
    (package / "_templates").mkdir(parents=True)
    monkeypatch.setattr(compiler, "__file__", str(package / "__init__.py"))
    assert templating.templates_dir() == package / "_templates"
    (package / "_templates").rmdir()
    assert templating.templates_dir() == tmp_path / "site-packages" / "templates"


def test_repo_checkout_uses_repo_templates(repo: Path) -> None:
    assert templating.templates_dir() == repo / "templates"


def test_one_template_folder_per_target(repo: Path) -> None:
    for target in TARGETS:
        assert any((repo / "templates" / target).glob("*.j2")), target


def test_undefined_template_variables_are_errors() -> None:
    with pytest.raises(Exception, match="undefined"):
        templating.render("systemd/client-env.sh.j2")


TRICKY = ["plain", "a b", "it's", 'say "hi"', "$HOME", "50%", "a;b", "back\\slash", "*", "", "ünï"]


@pytest.mark.parametrize(
    "word", [*TRICKY, f"{RUNTIME_IP}:11434", f"x={RUNTIME_IP} y'z", "$HOME/.lmstudio/bin/lms"]
)
def test_sh_quoting_survives_a_real_shell(word: str) -> None:
    """The word, quoted, comes back from sh unchanged ($HOME and the address expanded)."""
    sh = require("sh")
    script = f"addr=100.64.0.9; HOME=/home/u; printf '%s' {quoting.sh(word)}"
    done = subprocess.run([sh, "-c", script], capture_output=True, text=True, check=True)
    expected = word.replace(RUNTIME_IP, "100.64.0.9")
    expected = "/home/u" + expected[5:] if expected.startswith("$HOME/") else expected
    assert done.stdout == expected


def test_systemd_words() -> None:
    assert quoting.unit_word("50%") == "50%%"
    assert quoting.unit_word("$X") == "$$X"
    assert quoting.unit_word("a b") == '"a b"'
    assert quoting.unit_word('say "hi"') == '"say \\"hi\\""'
    assert quoting.unit_word(";") == '";"'
    assert quoting.unit_word(f"--host={RUNTIME_IP}") == "--host=${TS_IP}"
    assert quoting.unit_env(("K", 'a "b" 5%')) == '"K=a \\"b\\" 5%%"'
    with pytest.raises(ValueError):
        quoting.unit_env(("OLLAMA_HOST", RUNTIME_IP))


def test_powershell_words() -> None:
    assert quoting.ps("it's") == "'it''s'"
    assert quoting.ps(f"{RUNTIME_IP}:11434") == "($addr + ':11434')"
    assert quoting.ps("$env:USERPROFILE\\x.exe") == "($env:USERPROFILE + '\\x.exe')"
    assert quoting.ps("$notavariable") == "'$notavariable'"


def test_compose_and_plist_words() -> None:
    assert quoting.compose("$x") == '"$$x"'
    assert (
        quoting.compose(f"{RUNTIME_IP}:1:1")
        == '"${TS_IP:?set TS_IP to this node\'s Tailscale address}:1:1"'
    )
    assert quoting.xml("a & <b>") == "a &amp; &lt;b&gt;"
    with pytest.raises(ValueError):
        quoting.xml(RUNTIME_IP)
