"""`tailgen dns NAME` and the split-DNS map that `tailgen build` prints."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from compiler.cli import app
from dnstools import CASES_DIR

runner = CliRunner()


def test_dns_text(repo: Path) -> None:
    result = runner.invoke(app, ["dns", "ollama.iow.kvet.ch", "--site", str(repo / "site.yaml")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ollama.iow.kvet.ch",
        "  zone      iow.kvet.ch (split DNS)",
        "  resolver  192.168.153.1 through router appletv-iow (location iow)",
        "  answer    ollama.iow.kvet.ch A 100.101.7.21 (service ollama-wintendo, site.yaml:71)",
    ]


def test_dns_bare_name_uses_search_paths_json(repo: Path) -> None:
    args = ["dns", "lmstudio", "--site", str(repo / "site.yaml"), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["name"] == "lmstudio.estuary.kvet.ch"
    assert doc["answeredBy"] == "split DNS"
    assert [(r["address"], r["router"]) for r in doc["resolvers"]] == [
        ("192.168.240.1", "appletv-phl"),
        ("192.168.153.1", "appletv-iow"),
    ]
    assert doc["answers"] == [
        {
            "name": "lmstudio.estuary.kvet.ch",
            "type": "A",
            "value": "100.101.7.23",
            "from": "service lmstudio",
            "line": 83,
        }
    ]


def test_dns_cname_followed_through_magic_dns() -> None:
    site = str(CASES_DIR / "magicdns-cname" / "site.yaml")
    result = runner.invoke(app, ["dns", "grafana.home.arpa", "--site", site])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[3:] == [
        "  answer    grafana.home.arpa CNAME grafana-host.tail1234.ts.net (service grafana, site.yaml:27)",
        "  answer    grafana-host.tail1234.ts.net A 100.64.1.50 (MagicDNS 100.100.100.100, device grafana-host, site.yaml:24)",
    ]
    result = runner.invoke(app, ["dns", "tv.home.arpa", "--site", site])
    assert result.stdout.splitlines()[-1] == (
        "  then      device mediabox is not pinned: MagicDNS answers with its tailnet address"
    )


def test_dns_outside_zones_and_undeclared(repo: Path) -> None:
    site = str(repo / "site.yaml")
    outside = runner.invoke(app, ["dns", "example.com", "--site", site]).stdout.splitlines()
    assert outside[1] == "  resolver  global nameservers: 1.1.1.1, 9.9.9.9 (not a split-DNS zone)"
    missing = runner.invoke(app, ["dns", "nope.phl.kvet.ch", "--site", site]).stdout.splitlines()
    assert missing[-1] == "  answer    the name is not declared (NXDOMAIN)"


def test_dns_bad_name_and_bad_site(repo: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["dns", "a_b.phl.kvet.ch", "--site", str(repo / "site.yaml")])
    assert result.exit_code == 1
    assert "'a_b.phl.kvet.ch' is not a DNS name: label 'a_b'" in result.stderr
    broken = tmp_path / "site.yaml"
    broken.write_text("dns:\n  magic_dns: true\n", encoding="utf-8")
    result = runner.invoke(app, ["dns", "x.example", "--site", str(broken)])
    assert result.exit_code == 1
    assert ":2:14: error: dns.magic_dns is on, but dns.nameservers is empty" in result.stderr


def test_build_prints_split_dns_map(repo: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(repo / "site.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("dns: 3 split-DNS zones, 12 records, MagicDNS on")
    assert lines[start + 1 : start + 4] == [
        "  estuary.kvet.ch -> 192.168.240.1 via appletv-phl, 192.168.153.1 via appletv-iow",
        "  iow.kvet.ch -> 192.168.153.1 via appletv-iow",
        "  phl.kvet.ch -> 192.168.240.1 via appletv-phl",
    ]
