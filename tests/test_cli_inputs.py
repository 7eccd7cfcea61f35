"""The evaluating commands answer about the site as it is, or say why they cannot.

Regression tests for issue 15: a stale out/ used silently, `--site nonexist.yaml` ignored, a
broken site swallowed, explain's names and ports misread, tracebacks on bad output paths.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from compiler.cli import app
from compiler.remote.liveplan import _dns_digest
from compiler.review import diff
from compiler.review.snapshot import snapshot

EVALUATING = ["explain", "matrix", "lint", "validate", "test"]
EXPLAIN_ARGS = {"explain": ["emory", "icon"]}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def no_traceback(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", EVALUATING)
def test_missing_site_is_an_error(command: str, site_dir: Path) -> None:
    result = invoke(command, *EXPLAIN_ARGS.get(command, []), "--site", "nonexist.yaml")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: nonexist.yaml: no such site file"


@pytest.mark.parametrize("command", EVALUATING)
def test_site_with_a_schema_error_is_reported(command: str, site_dir: Path) -> None:
    Path("site.yaml").write_text("users:\n  me: {login: me@github, rol: admin}\n")
    result = invoke(command, *EXPLAIN_ARGS.get(command, []))
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "site.yaml:2:26: error: unknown key 'rol' in users.me (did you mean 'role'?)"
    )


@pytest.mark.parametrize("command", EVALUATING)
def test_no_site_and_no_policy_is_an_error(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(command, *EXPLAIN_ARGS.get(command, []))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: site.yaml: no such site file")


@pytest.mark.parametrize("command", ["explain", "matrix", "lint", "test"])
def test_stale_out_is_named_when_asked_for(command: str, site_dir: Path) -> None:
    assert invoke("build").exit_code == 0
    text = Path("site.yaml").read_text()
    Path("site.yaml").write_text(
        text.replace(
            "allow: [group:family]\n    name: ollama.iow",
            "allow: [group:family, guest]\n    name: ollama.iow",
        )
    )
    result = invoke(command, *EXPLAIN_ARGS.get(command, []), "--out", "out")
    no_traceback(result)
    assert (
        "out/policy.hujson: warning: not what site.yaml builds: evaluating this file as asked"
        in result.stderr
    )


def test_explain_uses_the_site_not_a_stale_out(site_dir: Path) -> None:
    """The issue's case: after allowing guest on a service, explain must say ALLOWED."""
    assert invoke("build").exit_code == 0
    text = Path("site.yaml").read_text()
    edited = text.replace(
        "allow: [group:family]\n    name: ollama.iow",
        "allow: [group:family, guest]\n    name: ollama.iow",
    )
    assert edited != text
    Path("site.yaml").write_text(edited)
    fresh = invoke("explain", "guest", "wintendo:11434")
    assert fresh.exit_code == 0 and fresh.stdout.startswith("ALLOWED: guest@example.com")
    assert fresh.stderr == ""
    stale = invoke("explain", "guest", "wintendo:11434", "--out", "out")
    assert stale.exit_code == 2 and stale.stdout.startswith("DENIED")
    assert "not what site.yaml builds" in stale.stderr


@pytest.mark.parametrize(
    ("src", "dst", "verdict"),
    [
        ("guest", "icon:11434", "ALLOWED"),  # a user key
        ("partner@example.com", "ollama-icon", "ALLOWED"),  # a login; a service name
        ("emory", "ollama.phl.kvet.ch", "ALLOWED"),  # a service DNS name
        ("family", "wintendo:11434", "ALLOWED"),  # a group, bare
        ("group:family", "lmstudio", "DENIED"),  # partner may not use LM Studio
        ("tag:ai", "icon:11434", "DENIED"),
        ("location:phl", "icon:11434", "DENIED"),
        ("phl", "100.101.7.22:11434", "DENIED"),  # a location, bare; an address
        # a device; [v6]:port (icon's IPv6: the grant names its IPv4 host alias only)
        ("emory-phone", "[fd7a:115c:a1e0::6465:716]:11434", "DENIED"),
    ],
)
def test_explain_accepts_every_name_the_site_uses(
    src: str, dst: str, verdict: str, site_dir: Path
) -> None:
    result = invoke("explain", src, dst)
    no_traceback(result)
    assert result.exit_code == (0 if verdict == "ALLOWED" else 2), result.output
    assert result.stdout.startswith(verdict)
    assert "unknown" not in result.stdout


def test_explain_without_port_explains_every_declared_port(site_dir: Path) -> None:
    Path("site.yaml").write_text(
        Path("site.yaml")
        .read_text()
        .replace(
            "port: 11434\n    allow: [group:family, guest]",
            "port: [11434, 8080]\n    allow: [group:family, guest]",
        )
    )
    result = invoke("explain", "guest", "icon")
    assert result.exit_code == 0, result.output
    assert [
        line.split()[-1] for line in result.stdout.splitlines() if line.startswith("ALLOWED")
    ] == [
        "icon:8080/tcp",
        "icon:11434/tcp",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["gust", "icon:11434"],
            "source 'gust' is not a name the site or the policy declares (did you mean 'guest'?)",
        ),
        (
            ["guest", "iconn:11434"],
            "destination 'iconn' is not a name the site or the policy declares (did you mean 'icon'?)",
        ),
        (
            ["guest", "icon:abc"],
            "destination 'icon:abc': port 'abc' is not a number from 1 to 65535",
        ),
        (["guest", "icon:-1"], "destination 'icon:-1': port '-1' is not a number from 1 to 65535"),
        (["guest", "icon:99999"], "destination 'icon:99999': port 99999 is outside 1-65535"),
        (["guest", "icon:0"], "destination 'icon:0': port 0 is outside 1-65535"),
        (["guest", "icon:"], "destination 'icon:': port '' is not a number from 1 to 65535"),
        (["guest", ":22"], "destination ':22' names no host"),
        (
            ["guest", "[fd7a::1"],
            "destination '[fd7a::1': write an IPv6 address with a port as [ADDR]:PORT",
        ),
        (
            ["guest", "icon:22", "--proto", "999"],
            "--proto '999': unknown protocol (use tcp, udp, icmp or a number from 1 to 255)",
        ),
        (
            ["guest", "icon:22", "--proto", ""],
            "--proto '': unknown protocol (use tcp, udp, icmp or a number from 1 to 255)",
        ),
        (
            ["guest", "appletv-phl"],
            "destination 'appletv-phl' has no declared service port: name one, e.g. appletv-phl:22",
        ),
    ],
)
def test_explain_refuses_what_it_cannot_read(args: list[str], message: str, site_dir: Path) -> None:
    result = invoke("explain", *args)
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {message}"


def test_schema_into_a_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "nonexist" / "x.json"
    result = invoke("schema", "-o", str(target))
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {target}: cannot write: No such file or directory"


def test_schema_onto_a_directory(tmp_path: Path) -> None:
    result = invoke("schema", "--out", str(tmp_path))
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path}: cannot write: is a directory"
    assert list(tmp_path.iterdir()) == []


def test_build_into_an_unwritable_place(site_dir: Path) -> None:
    result = invoke("build", "--out", "/proc/nope")
    no_traceback(result)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith("error: /proc/nope: cannot write: ") and "\n" not in line.split("\n")[0]


def test_site_positional_and_option_agree(site_dir: Path) -> None:
    assert invoke("check", "-s", "site.yaml").exit_code == 2  # no out/ yet: stale
    result = invoke("check", "site.yaml", "--site", "other.yaml")
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == "error: two site files: site.yaml and --site other.yaml; give one"
    )


@pytest.mark.parametrize("command", ["explain", "matrix", "lint", "test"])
def test_a_policy_that_does_not_parse_is_placed(command: str, site_dir: Path) -> None:
    Path("bad.hujson").write_text('{\n  "grants": [\n    {"src": ["*"] "dst": ["*"]},\n  ],\n}\n')
    result = invoke(command, *EXPLAIN_ARGS.get(command, []), "--policy", "bad.hujson")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (  # after the warning that it is not the site's
        "bad.hujson:3:19: error: invalid character '\"' after object value (expecting ',' or '}')"
    )


def test_an_inventory_that_nests_too_deeply(site_dir: Path) -> None:
    Path("deep.json").write_text("[" * 100_000 + "]" * 100_000)
    result = invoke("matrix", "--inventory", "deep.json")
    no_traceback(result)
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == "error: deep.json: cannot read the inventory: it nests too deeply"
    )


DEEP = "[" * 100_000 + "]" * 100_000  # json's C decoder recurses once per bracket


def test_a_plan_file_that_nests_too_deeply(site_dir: Path) -> None:
    Path("deep.json").write_text(DEEP)
    result = invoke("push", "deep.json")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: deep.json: not a plan file: it nests too deeply"


def test_a_backup_that_nests_too_deeply(site_dir: Path) -> None:
    Path("bk").mkdir()
    Path("bk/backup.json").write_text(DEEP)
    Path("bk/policy.hujson").write_text("{}\n")
    Path("bk/devices.json").write_text("[]\n")
    result = invoke("rollback", "bk")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: bk: not a readable tailgen backup: it nests too deeply"


def test_a_backup_with_a_broken_dns_json(site_dir: Path) -> None:
    """A backup's dns.json is read as every dns.json is: a broken one at file:line:col."""
    Path("bk").mkdir()
    Path("bk/backup.json").write_text('{"version": 1}\n')
    Path("bk/policy.hujson").write_text("{}\n")
    Path("bk/devices.json").write_text("[]\n")
    Path("bk/dns.json").write_text('{\n  "a": tru\n}\n')
    result = invoke("rollback", "bk")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "bk/dns.json:2:8: error: invalid JSON: Expecting value"


def test_a_listener_table_that_nests_too_deeply(site_dir: Path) -> None:
    Path("deep.json").write_text(DEEP)
    result = invoke("audit", "wintendo", "--from", "deep.json")
    no_traceback(result)
    assert "line 1: cannot read (invalid JSON: it nests too deeply)" in result.output


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (DEEP, "old/dns.json: error: invalid JSON: it nests too deeply"),
        (
            '{\n  "nameservers": [\n    "1.1.1.1",,\n',
            "old/dns.json:3:15: error: invalid JSON: Expecting value",
        ),
        (
            "{\n",
            "old/dns.json:2:1: error: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        ("[]\n", "old/dns.json:1:1: error: DNS settings are a JSON object"),
    ],
)
def test_a_compared_directory_with_a_broken_dns_json(
    site_dir: Path, text: str, reason: str
) -> None:
    """A broken dns.json is reported at file:line:col, as a policy file is, with the line
    it points at quoted under it (a reason without a place has no excerpt)."""
    assert invoke("build").exit_code == 0
    shutil.copytree("out", "old")
    Path("old/dns.json").write_text(text)
    result = invoke("diff", "--against", "old")
    no_traceback(result)
    assert result.exit_code == 1
    first, *excerpt = result.stderr.strip().splitlines()
    assert first == reason
    place = re.match(r"old/dns\.json:(\d+):\d+:", reason)
    lines = text.splitlines()
    if place and int(place[1]) <= len(lines):  # at end of file there is no line to quote
        assert excerpt[0].strip() == lines[int(place[1]) - 1].strip()
        assert excerpt[1].strip() == "^"
    else:
        assert excerpt == []


def test_a_compared_lone_dns_json_that_is_broken(site_dir: Path) -> None:
    """A lone dns.json is named by its own path, not by its path and then its name again."""
    Path("cur").mkdir()
    Path("cur/dns.json").write_text('{\n  "searchPaths": ["a"\n}\n')
    result = invoke("diff", "--against", "cur/dns.json")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cur/dns.json:3:1: error: invalid JSON: Expecting ',' delimiter",
        "    }",
        "    ^",
    ]


def test_dns_json_is_parsed_once_per_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot's check, the DNS diff and the live plan's digest share one parse."""
    texts = ('{"searchPaths": ["new.example"]}\n', '{"searchPaths": ["old.example"]}\n')
    parsed: list[str] = []
    real = json.loads

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        if text in texts:
            parsed.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    new = snapshot({"dns.json": texts[0].encode()}, "new/", partial=True)
    old = snapshot({"dns.json": texts[1].encode()}, "old/", partial=True)
    plan = diff(new, old)
    assert _dns_digest(new).startswith("sha256:")
    assert [(c.kind, c.change, c.key) for c in plan.dns] == [
        ("search-path", "removed", "old.example"),
        ("search-path", "added", "new.example"),
    ]
    assert sorted(parsed) == sorted(texts)
