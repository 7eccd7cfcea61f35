"""`tailgen import` / `tailgen init` on policies written here (no shared data needed).

The oracle for "same access" is the evaluator run on both policies (the proof); these tests
also check that the proof is not vacuous: a tampered site must show a difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from compiler.adopt import import_policy, prove
from compiler.build import compile_text
from compiler.cli import app
from compiler.errors import InputError, PolicyError, TailgenError
from compiler.evaluate import Inventory, inventory_from_dict, parse_policy

runner = CliRunner()

POLICY = """// Home tailnet
{
	"groups": {
		// the household
		"group:family": ["alice@example.com", "bob@example.com"],
	},
	"tagOwners": {
		"tag:web":    ["group:family"],
		"tag:router": ["alice@example.com"],
	},
	"autoApprovers": {
		"routes":   {"192.168.1.0/24": ["tag:router"]},
		"exitNode": ["tag:router"],
	},
	"hosts": {"printer": "192.168.1.20"},
	"grants": [
		// the family reaches the web servers
		{"src": ["group:family"], "dst": ["tag:web"], "ip": ["tcp:443", "tcp:80"]},
		{"src": ["autogroup:member"], "dst": ["autogroup:internet"], "ip": ["*"]},
		// posture-free but on a LAN address: kept verbatim
		{"src": ["bob@example.com"], "dst": ["printer"], "ip": ["tcp:631"]},
		// Tailscale SSH also needs network access to tcp:22
		{"src": ["alice@example.com"], "dst": ["tag:web"], "ip": ["tcp:22"]},
	],
	"ssh": [
		{"action": "check", "src": ["alice@example.com"], "dst": ["tag:web"], "users": ["root"]},
	],
	"tests": [
		{"src": "bob@example.com", "accept": ["tag:web:443"], "deny": ["tag:web:22"]},
	],
}
"""


def test_import_reads_the_model_and_proves_it() -> None:
    adoption = import_policy(POLICY, "home.hujson")
    site = yaml.safe_load(adoption.site_text)
    assert adoption.proof.zero, adoption.proof.lines()
    assert adoption.attempt == "full model"
    services = site["services"]
    assert [(s["device"], s["port"], s["allow"]) for s in services.values()] == [
        ("web", [80, 443], ["group:family"]),
        ("web", [22], ["alice"]),
    ]
    assert site["groups"] == {"family": ["alice", "bob"]}
    assert site["exit_nodes"] == {"allow": ["autogroup:member"]}
    assert site["ssh"] == [{"from": ["alice"], "to": ["tag:web"], "as": ["root"], "mode": "check"}]
    assert site["locations"] and site["devices"]["router"]["routes"] == ["192.168.1.0/24"]
    assert site["policy"]["grants"] == [
        {"src": ["bob@example.com"], "dst": ["printer"], "ip": ["tcp:631"]}
    ]
    assert site["policy"]["tests"][0]["src"] == "bob@example.com"
    assert adoption.share.rules() == (4, 1)
    for comment in ("# Home tailnet", "# the household", "# the family reaches the web servers"):
        assert comment in adoption.site_text
    assert "# posture-free but on a LAN address: kept verbatim" in adoption.site_text


def test_proof_finds_a_tampered_site() -> None:
    adoption = import_policy(POLICY, "home.hujson")
    tampered = adoption.site_text.replace("port: [80, 443]", "port: [80, 443, 8443]")
    tampered = tampered.replace("mode: check", "mode: accept")
    assert tampered != adoption.site_text
    new = parse_policy(compile_text(tampered).files["policy.hujson"].decode())
    old = parse_policy(POLICY)
    inventory = _inventory(adoption.site_text)
    proof = prove(old, new, inventory)
    assert any("tcp:80,443,8443" in line for line in proof.access), proof.access
    assert any("check → accept" in line for line in proof.ssh), proof.ssh


def test_proof_compares_the_original_tests() -> None:
    narrower = POLICY.replace('"ip": ["tcp:443", "tcp:80"]', '"ip": ["tcp:80"]')
    inventory = _inventory(import_policy(POLICY).site_text)
    proof = prove(parse_policy(POLICY), parse_policy(narrower), inventory)
    assert proof.tests and proof.tests[0].startswith("tests[0]: before pass; after "), proof.tests


def _inventory(site_text: str) -> Inventory:
    from compiler.site.inventory import inventory_from_site

    return inventory_from_dict(inventory_from_site(compile_text(site_text).site))


def test_no_rules_means_allow_all_said_explicitly() -> None:
    adoption = import_policy('{"tagOwners": {"tag:a": []}}')
    assert adoption.proof.zero
    assert yaml.safe_load(adoption.site_text)["policy"]["grants"] == [
        {"src": ["*"], "dst": ["*"], "ip": ["*"]}
    ]


def test_unparsable_and_invalid_policies_are_refused_with_their_place() -> None:
    with pytest.raises(InputError) as bad:
        import_policy('{"acls": [}', "p.hujson")
    assert str(bad.value).startswith("p.hujson:1:")
    with pytest.raises(PolicyError) as invalid:
        import_policy(
            '{"grants": [{"src": ["group:nope"], "dst": ["*"], "ip": ["*"]}]}', "p.hujson"
        )
    assert "group:nope" in str(invalid.value)


def test_escape_hatch_entries_cite_their_site_line() -> None:
    site = (
        "users: {a: {login: a@example.com}}\n"
        "policy:\n"
        "  grants:\n"
        '    - {"src": ["a@example.com"], "dst": ["10.0.0.0/8"], "ip": ["tcp:22"]}\n'
        "  randomizeClientPort: true\n"
    )
    text = compile_text(site).files["policy.hujson"].decode()
    assert "// site.yaml:4 policy grants[0]" in text
    assert '"randomizeClientPort": true' in text
    assert parse_policy(text).raw["grants"] == [
        {"src": ["a@example.com"], "dst": ["10.0.0.0/8"], "ip": ["tcp:22"]}
    ]


def test_escape_hatch_cannot_overwrite_the_model() -> None:
    site = (
        "users: {a: {login: a@example.com}}\n"
        "groups: {g: [a]}\n"
        "policy:\n"
        '  groups: {"group:g": ["b@example.com"]}\n'
    )
    with pytest.raises(TailgenError) as clash:
        compile_text(site)
    assert "site.yaml:4:" in str(clash.value) and "already generated" in str(clash.value)


def test_cli_import_writes_the_site_and_prints_the_proof(tmp_path: Path) -> None:
    policy = tmp_path / "policy.hujson"
    policy.write_text(POLICY)
    out = tmp_path / "site.yaml"
    result = runner.invoke(app, ["import", str(policy), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "proof: no access difference" in result.output
    assert yaml.safe_load(out.read_text())["services"]
    again = runner.invoke(app, ["import", str(policy), "-o", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(app, ["import", str(policy), "-o", str(out), "--force"]).exit_code == 0


def test_cli_import_inputs_and_errors(tmp_path: Path) -> None:
    policy = tmp_path / "policy.hujson"
    policy.write_text(POLICY)
    devices = tmp_path / "devices.json"
    devices.write_text(
        json.dumps(
            {
                "devices": [
                    {"hostname": "laptop", "addresses": ["100.64.0.5"], "user": "bob@example.com"},
                    {"hostname": "web1", "addresses": ["100.64.0.6"], "tags": ["tag:web"]},
                ]
            }
        )
    )
    dns = tmp_path / "dns.json"
    dns.write_text('{"magicDNS": true, "nameservers": ["1.1.1.1"], "searchPaths": ["home.arpa"]}')
    result = runner.invoke(
        app, ["import", str(policy), "--devices", str(devices), "--dns", str(dns), "-o", "-"]
    )
    assert result.exit_code == 0, result.output
    site = yaml.safe_load(result.stdout)
    assert site["dns"]["nameservers"] == [{"address": "1.1.1.1"}]
    assert site["devices"]["laptop"] == {
        "os": "linux",
        "owner": "bob",
        "tailscale_ip": "100.64.0.5",
    }
    assert runner.invoke(app, ["import"]).exit_code == 1
    no_credentials: dict[str, str | None] = dict.fromkeys(
        ("TAILSCALE_API_KEY", "TAILSCALE_OAUTH_CLIENT_ID", "TAILSCALE_OAUTH_CLIENT_SECRET")
    )
    live = runner.invoke(app, ["import", "--live"], env=no_credentials)
    assert live.exit_code == 1 and "TAILSCALE_API_KEY" in live.output
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.hujson")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output


def test_init_build_check_in_an_empty_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    build = runner.invoke(app, ["build"])
    assert build.exit_code == 0, build.output
    assert runner.invoke(app, ["check"]).exit_code == 0
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    jsonschema.validate(yaml.safe_load((tmp_path / "site.yaml").read_text()), schema)
    assert json.loads((tmp_path / "site.schema.json").read_text()) == schema
    assert runner.invoke(app, ["init"]).exit_code == 1  # never overwrites a site


def test_init_from_a_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.hujson"
    policy.write_text(POLICY)
    result = runner.invoke(app, ["init", str(tmp_path / "home"), "--from", str(policy)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "home" / "site.yaml").read_text()
    assert compile_text(text).files["policy.hujson"]


class _StandIn:
    """A live tailnet as compiler.remote's provider shows it."""

    class _Stored:
        text = POLICY

    def get_policy(self) -> _Stored:
        return self._Stored()

    def get_dns(self) -> dict[str, object]:
        return {"nameservers": [{"address": "9.9.9.9"}], "preferences": {"magicDNS": True}}

    def devices(self, fields: str = "all") -> list[dict[str, object]]:
        return [{"hostname": "web1", "addresses": ["100.64.0.6"], "tags": ["tag:web"]}]


def test_cli_import_live_reads_policy_devices_and_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.cli import commands_adopt

    monkeypatch.setattr(commands_adopt, "_live_source", _StandIn)
    result = runner.invoke(app, ["import", "--live", "-o", "-"])
    assert result.exit_code == 0, result.output
    site = yaml.safe_load(result.stdout)
    assert site["dns"] == {"magic_dns": True, "nameservers": [{"address": "9.9.9.9"}]}
    assert site["devices"] == {
        "web1": {"os": "linux", "tags": ["web"], "tailscale_ip": "100.64.0.6"}
    }
    assert "# the household" in result.stdout  # the stored text, comments and all


def test_proof_sees_a_gap_between_ranges() -> None:
    """Old: 10.0.0.0-10.0.0.9 and .20-.29; new: the whole 10.0.0.0-10.0.0.31 (a /27)."""
    gap = '{"grants": [{"src": ["*"], "dst": ["10.0.0.0/29", "10.0.0.8/31", "10.0.0.20/30", "10.0.0.24/29"], "ip": ["tcp:1"]}]}'
    whole = '{"grants": [{"src": ["*"], "dst": ["10.0.0.0/27"], "ip": ["tcp:1"]}]}'
    proof = prove(parse_policy(gap), parse_policy(whole), inventory_from_dict({}))
    assert any("10.0.0.10" in line for line in proof.access), proof.access


def test_cli_import_exits_2_and_names_a_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When no draft proves equal, the best one is written and the difference printed."""
    from compiler.adopt import importer
    from compiler.adopt.proof import Proof

    def differs(*_: object) -> Proof:
        return Proof(
            access=["laptop (100.64.0.5) → web (100.64.0.6): before tcp:443, after nothing"]
        )

    monkeypatch.setattr(importer, "prove", differs)
    policy = tmp_path / "policy.hujson"
    policy.write_text(POLICY)
    result = runner.invoke(app, ["import", str(policy), "-o", str(tmp_path / "site.yaml")])
    assert result.exit_code == 2, result.output
    assert "ACCESS DIFFERS" in result.output and "before tcp:443, after nothing" in result.output
    assert (tmp_path / "site.yaml").exists()


def test_escape_hatch_sections_have_their_shape() -> None:
    with pytest.raises(TailgenError) as wrong:
        compile_text("policy:\n  grants: {a: 1}\n")
    assert "site.yaml:1:" in str(wrong.value) and "'grants' is a list" in str(wrong.value)
    with pytest.raises(PolicyError) as refused:
        import_policy('{"tests": 7}', "p.hujson")
    assert "p.hujson:1:" in str(refused.value) and "must be a JSON array" in str(refused.value)


def test_unreadable_dns_input_is_an_input_error_at_its_place() -> None:
    """`--dns` text the parser rejects is reported at its file:line:col (the second comma)."""
    from compiler.adopt import read_json
    from compiler.errors import InputError

    with pytest.raises(InputError) as caught:
        read_json('{\n  "nameservers": [1,,]\n}\n', "d.json", "dns")
    (problem,) = caught.value.problems
    assert (problem.span.file, problem.span.line, problem.span.column) == ("d.json", 2, 21)
