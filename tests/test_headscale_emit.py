"""The headscale target without headscale: what `target: headscale` writes and warns about.

The oracles are written from headscale's documented rules (reference/tailscale.md §8), not
from the emitter: the top-level keys headscale's policy v2 knows, "every user token contains
`@`", no Mullvad, DNS as config.yaml's `dns:` section. The real `headscale policy check` runs
in test_headscale_peer.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from compiler import build, hujson
from compiler.errors import TailgenError
from sitegen import sites

# headscale v0.29's policy v2 top-level keys (types.go `Policy`); it rejects any other.
HEADSCALE_KEYS = {
    "groups",
    "hosts",
    "tagOwners",
    "acls",
    "grants",
    "nodeAttrs",
    "autoApprovers",
    "ssh",
    "tests",
    "sshTests",
    "randomizeClientPort",
}
HEADSCALE_AUTOGROUPS = {"internet", "member", "tagged", "self", "nonroot", "danger-all"}


def headscale_site(text: str) -> str:
    """A site text with `target: headscale` as its first key."""
    return "target: headscale\n" + text


def example(repo: Path) -> build.BuildResult:
    return build.compile_text(headscale_site((repo / "site.yaml").read_text()), "site.yaml")


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle` (an oracle independent of spans)."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def test_tailscale_target_writes_no_headscale_files(repo: Path) -> None:
    result = build.compile_text((repo / "site.yaml").read_text(), "site.yaml")
    assert not [p for p in result.files if p.startswith("headscale/")]


def test_headscale_files_beside_the_reference_policy(repo: Path) -> None:
    files = example(repo).files
    assert {"headscale/policy.hujson", "headscale/dns.yaml", "policy.hujson"} <= files.keys()
    assert "headscale/policy.hujson" in hujson.loads(files["manifest.json"].decode())["files"]


def test_policy_uses_only_headscale_keys_and_autogroups(repo: Path) -> None:
    doc = hujson.loads(example(repo).files["headscale/policy.hujson"].decode())
    assert set(doc) <= HEADSCALE_KEYS
    autogroups = {s.split(":", 1)[1] for s in strings(doc) if s.startswith("autogroup:")}
    assert autogroups <= HEADSCALE_AUTOGROUPS
    assert "mullvad" not in strings(doc)


def test_users_are_headscale_tokens(repo: Path) -> None:
    text = example(repo).files["headscale/policy.hujson"].decode()
    doc = hujson.loads(text)
    assert doc["groups"]["group:family"] == ["emory@", "partner@example.com"]
    assert "emory@github" not in text
    assert {t["src"] for t in doc["tests"]} == {"emory@", "partner@example.com"}


def test_tests_of_users_without_devices_are_left_out(repo: Path) -> None:
    """headscale fails a test whose source has no node; the site's guest has no device."""
    text = (repo / "site.yaml").read_text()
    result = example(repo)
    (warning,) = [p for p in result.warnings if "no device here" in p.message]
    assert warning.span.line == line_of(text, "guest:") + 1
    reference = hujson.loads(result.files["policy.hujson"].decode())
    assert any(t["src"] == "guest@example.com" for t in reference["tests"])


def test_same_rules_as_the_reference_policy(repo: Path) -> None:
    """Apart from user names and dropped attributes, headscale gets exactly our rules."""
    files = example(repo).files
    ours = hujson.loads(files["policy.hujson"].decode())
    theirs = hujson.loads(files["headscale/policy.hujson"].decode())
    renamed = hujson.loads(files["policy.hujson"].decode().replace('"emory@github"', '"emory@"'))
    del renamed["nodeAttrs"]
    renamed["tests"] = [t for t in renamed["tests"] if t["src"] != "guest@example.com"]
    assert theirs == renamed
    assert len(theirs["grants"]) == len(ours["grants"])


def test_dns_section(repo: Path) -> None:
    site_text = (repo / "site.yaml").read_text()
    section = yaml.safe_load(example(repo).files["headscale/dns.yaml"])["dns"]
    assert section["magic_dns"] is True
    assert section["nameservers"]["global"] == ["1.1.1.1", "9.9.9.9"]
    assert section["nameservers"]["split"] == {
        "estuary.kvet.ch": ["192.168.240.1", "192.168.153.1"],
        "iow.kvet.ch": ["192.168.153.1"],
        "phl.kvet.ch": ["192.168.240.1"],
    }
    assert section["search_domains"] == ["estuary.kvet.ch"]
    names = {r["name"]: r["value"] for r in section["extra_records"]}
    assert names["ollama.iow.kvet.ch"] == "100.101.7.21"
    assert all(r["type"] == "A" for r in section["extra_records"])
    assert "192.168." not in str(section["extra_records"])  # LAN names stay in the zones
    assert section["base_domain"] == "tailnet.internal"
    assert "magic_dns_suffix" not in site_text


def test_lint_names_each_unsupported_feature_at_its_line(repo: Path) -> None:
    text = (repo / "site.yaml").read_text()
    warnings = [p for p in example(repo).warnings if p.code == "headscale-unsupported"]
    mullvad = sorted(p.span.line for p in warnings if "Mullvad" in p.message)
    devices = ("emory-phone:", "emory-laptop:", "partner-phone:")
    assert mullvad == [line_of(text, d) + 1 for d in devices]  # +1: the target line
    pinned = [p for p in warnings if "assigns node addresses" in p.message]
    assert len(pinned) == text.count("tailscale_ip:")
    assert any("base_domain" in p.message for p in warnings)


ADMIN_SITE = """\
target: headscale
users:
  boss: {login: boss@example.com, role: admin}
  kid:  {login: kid@github}
devices:
  nas: {os: linux, tags: [nas], tailscale_ip: 100.64.0.5}
tags:
  nas: {owners: [boss]}
services:
  files: {device: nas, port: 445, allow: [autogroup:admin, kid]}
"""


def test_role_autogroup_becomes_its_users() -> None:
    result = build.compile_text(ADMIN_SITE, "site.yaml")
    doc = hujson.loads(result.files["headscale/policy.hujson"].decode())
    assert doc["grants"][0]["src"] == ["boss@example.com", "kid@"]
    (warning,) = [p for p in result.warnings if "no roles" in p.message]
    assert warning.span.line == line_of(ADMIN_SITE, "files:")


def test_two_users_one_headscale_name_is_an_error() -> None:
    text = ADMIN_SITE.replace("kid@github", "boss@github").replace("boss@example.com", "boss@gh")
    with pytest.raises(TailgenError) as err:
        build.compile_text(text, "site.yaml")
    (problem,) = [p for p in err.value.problems if p.is_error]
    assert problem.code == "headscale-user-clash"
    assert problem.span.line == line_of(text, "kid:")


def test_override_without_nameservers_is_an_error() -> None:
    text = ADMIN_SITE + "dns: {override_local_dns: true, magic_dns: false}\n"
    with pytest.raises(TailgenError, match="override_local_dns"):
        build.compile_text(text, "site.yaml")


TOKEN = re.compile(r"^[^@\s]+@([\w.-]+\.[a-z]+)?$")


@settings(max_examples=40, deadline=None)
@given(sites())
def test_random_sites_give_headscale_policies(site: dict[str, Any]) -> None:
    """Every login in a random site becomes a token headscale parses; keys stay in its set."""
    text = yaml.safe_dump({"target": "headscale", **site}, sort_keys=False)
    result = build.compile_text(text, "site.yaml")
    doc = hujson.loads(result.files["headscale/policy.hujson"].decode())
    assert set(doc) <= HEADSCALE_KEYS
    users = {s for s in strings(doc) if "@" in s and ":" not in s}
    assert all(TOKEN.match(u) for u in users), users


def test_build_target_option_adds_or_drops_out_headscale(repo: Path, tmp_path: Path) -> None:
    """`build --target` overrides the site's `target:`; only out/headscale/ (and the manifest
    listing it) differ, and `check` agrees only when given the same --target."""
    from typer.testing import CliRunner

    from compiler.cli import app

    runner = CliRunner()
    plain, hs = tmp_path / "plain", tmp_path / "hs"
    site = str(repo / "site.yaml")
    assert runner.invoke(app, ["build", site, "--out", str(plain)]).exit_code == 0
    made = runner.invoke(app, ["build", site, "--out", str(hs), "--target", "headscale"])
    assert made.exit_code == 0, made.output
    files = {p.relative_to(hs).as_posix() for p in hs.rglob("*") if p.is_file()}
    base = {p.relative_to(plain).as_posix() for p in plain.rglob("*") if p.is_file()}
    assert files - base == {"headscale/policy.hujson", "headscale/dns.yaml"} and base <= files
    for name in base - {"manifest.json"}:
        assert (hs / name).read_bytes() == (plain / name).read_bytes(), name
    assert runner.invoke(app, ["check", site, "--out", str(hs)]).exit_code == 2
    again = ["check", site, "--out", str(hs), "--target", "headscale"]
    assert runner.invoke(app, again).exit_code == 0
    back = tmp_path / "site.yaml"  # the same site saying `target: headscale` (on a new last line)
    back.write_text((repo / "site.yaml").read_text() + "\ntarget: headscale\n")
    dropped = tmp_path / "dropped"
    made = runner.invoke(app, ["build", str(back), "--out", str(dropped), "--target", "tailscale"])
    assert made.exit_code == 0, made.output
    assert {p.relative_to(dropped).as_posix() for p in dropped.rglob("*") if p.is_file()} == base
    for name in base - {"manifest.json"}:
        assert (dropped / name).read_bytes() == (plain / name).read_bytes(), name
