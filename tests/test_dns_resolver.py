"""The generated records served by a real resolver: dnsmasq (what home routers run) on a
loopback address and a free high port, loaded with the generated `*.dnsmasq.conf`, queried
with dnspython for every record, then stopped. It has no upstream server, so no query can
leave loopback; a name the site does not declare is NXDOMAIN, never forwarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.site.dns import records, zones
from dnstools import CASES, dnsmasq, load_case, query, rcode

SERVED = [case for case in CASES if zones(load_case(case)[0])]


def _answer(response: object, name: str) -> tuple[str, str] | None:
    """(type, value) of the first answer for `name`, without the trailing dot."""
    for rrset in response.answer:  # type: ignore[attr-defined]
        if rrset.name.to_text().rstrip(".") == name:
            value = rrset[0].to_text().rstrip(".")
            return ("CNAME" if rrset.rdtype == 5 else "A"), value
    return None


@pytest.mark.parametrize("case", SERVED)
def test_dnsmasq_serves_every_record(case: str, tmp_path: Path) -> None:
    site, emitted = load_case(case)
    expected = records(site)
    assert expected
    with dnsmasq(emitted.files, tmp_path) as (address, port):
        for rec in expected:
            response = query(rec.name, address, port)
            assert rcode(response) == "NOERROR", rec
            assert _answer(response, rec.name) == (rec.rtype, rec.value), rec


def test_example_over_tcp_and_unknown_names(tmp_path: Path) -> None:
    """TCP answers too (the grant opens tcp:53 for truncated answers); an undeclared name in a
    zone is NXDOMAIN from the local data, not a forwarded query."""
    site, emitted = load_case("example")
    with dnsmasq(emitted.files, tmp_path) as (address, port):
        response = query("ollama.iow.kvet.ch", address, port, tcp=True)
        assert _answer(response, "ollama.iow.kvet.ch") == ("A", "100.101.7.21")
        for zone in zones(site):
            assert rcode(query(f"nothing-here.{zone}", address, port)) == "NXDOMAIN"


def test_generated_conf_never_forwards() -> None:
    for case in SERVED:
        for rel, data in load_case(case)[1].files.items():
            if rel.endswith(".dnsmasq.conf"):
                text = data.decode()
                assert "server=" not in text
                assert f"local=/{rel.removeprefix('dns/').removesuffix('.dnsmasq.conf')}/" in text
