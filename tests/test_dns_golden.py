"""DNS artifacts: goldens for every case in tests/golden/dns/, and every zone file through
BIND's own validator (named-checkzone).

Each case directory holds `site.yaml` (the `example` case links to the repository's own),
`expected/` (exactly the DNS emitter's files: dns.json, dns/<zone>.zone,
dns/<zone>.dnsmasq.conf), `policy-rules.json` (the port-53 grants and tests it adds to the
policy) and `summary.txt` (what `tailgen build` prints). Rewrite with `pytest --update-goldens`
and review the diff.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from compiler.emit import dns as dns_emit
from compiler.emit.dns import zonefile
from compiler.site import loader
from compiler.site.dns import records
from dnstools import CASES, CASES_DIR, load_case, require_tool
from goldens import assert_text, assert_tree


@pytest.mark.parametrize("case", CASES)
def test_dns_matches_golden(case: str, update_goldens: bool) -> None:
    site, emitted = load_case(case)
    assert_tree(CASES_DIR / case / "expected", emitted.files, update_goldens)
    summary = "\n".join(emitted.summary) + "\n"
    assert_text(CASES_DIR / case / "summary.txt", summary, update_goldens)
    rules = [
        {"section": r.section, "origin": r.origin, "body": r.body}
        for r in dns_emit.policy_rules(site)
    ]
    text = json.dumps(rules, indent=2, ensure_ascii=False) + "\n"
    assert_text(CASES_DIR / case / "policy-rules.json", text, update_goldens)


def test_enough_cases(repo: Path) -> None:
    assert len(CASES) >= 5
    assert (CASES_DIR / "example" / "site.yaml").resolve() == (repo / "site.yaml").resolve()


@pytest.mark.parametrize("case", CASES)
def test_deterministic(case: str) -> None:
    assert load_case(case)[1].files == load_case(case)[1].files


def test_dns_json_shape() -> None:
    """The API's DNS configuration object: fixed key order, one trailing newline."""
    data = load_case("example")[1].files["dns.json"].decode()
    assert data.endswith("}\n") and not data.endswith("\n\n")
    doc = json.loads(data)
    assert list(doc) == ["nameservers", "splitDNS", "searchPaths", "preferences"]
    assert list(doc["preferences"]) == ["overrideLocalDNS", "magicDNS"]
    assert doc["splitDNS"]["estuary.kvet.ch"] == [
        {"address": "192.168.240.1", "useWithExitNode": False},
        {"address": "192.168.153.1", "useWithExitNode": False},
    ]


def _serials(text: str) -> dict[str, str]:
    site = loader.load_text(text, "site.yaml")
    files = dns_emit.emit(site).files
    found = {
        rel: re.search(r"IN SOA +\S+ \S+ (\d+) ", data.decode()) for rel, data in files.items()
    }
    return {rel: m.group(1) for rel, m in found.items() if m}


def test_serial_changes_only_with_records(repo: Path) -> None:
    text = (repo / "site.yaml").read_text(encoding="utf-8")
    before = _serials(text)
    assert _serials("# a comment that moves every line\n\n" + text) == before
    after = _serials(text.replace("lan_ip: 192.168.153.21", "lan_ip: 192.168.153.99"))
    assert after == before  # wintendo's LAN address is in no record (it is pinned)
    after = _serials(text.replace("tailscale_ip: 100.101.7.21", "tailscale_ip: 100.101.7.99"))
    changed = {rel for rel in before if after[rel] != before[rel]}
    assert changed == {"dns/iow.kvet.ch.zone"}


def test_serial_is_32_bit_and_nonzero() -> None:
    site, _ = load_case("example")
    value = zonefile.serial(records(site))
    assert 0 < value < 2**32
    assert zonefile.serial([]) != 0


@pytest.mark.parametrize("case", CASES)
def test_zone_files_pass_named_checkzone(case: str, tmp_path: Path) -> None:
    """BIND's validator, strict: bad names fail, NS targets must have addresses."""
    binary = require_tool("named-checkzone", "bind9-utils")
    _, emitted = load_case(case)
    zones = {rel: data for rel, data in emitted.files.items() if rel.endswith(".zone")}
    for rel, data in zones.items():
        zone = Path(rel).name.removesuffix(".zone")
        path = tmp_path / Path(rel).name
        path.write_bytes(data)
        result = _checkzone(binary, zone, path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.fullmatch(rf"zone {re.escape(zone)}/IN: loaded serial \d+\nOK\n", result.stdout)


def test_named_checkzone_rejects_a_broken_zone(tmp_path: Path) -> None:
    """The validator is not a no-op: a CNAME beside other data at one name is refused."""
    binary = require_tool("named-checkzone", "bind9-utils")
    _, emitted = load_case("example")
    text = emitted.files["dns/phl.kvet.ch.zone"].decode()
    path = tmp_path / "phl.kvet.ch.zone"
    path.write_text(text + "icon IN CNAME ollama\n", encoding="utf-8")
    assert _checkzone(binary, "phl.kvet.ch", path).returncode != 0


def _checkzone(binary: str, zone: str, path: Path) -> subprocess.CompletedProcess[str]:
    args = [binary, "-k", "fail", "-n", "fail", "-i", "full", zone, str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
