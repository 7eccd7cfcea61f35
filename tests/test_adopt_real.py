"""`tailgen import` on real people's policies and on every accepted control-plane case.

Every parsable policy must import with a zero access difference, or be refused with the
construct that stopped it named; never a traceback. Refusals are listed below with why
(strict: a refusal that goes away fails the test until the table is updated).
"""

from __future__ import annotations

from adopt_corpus import counts, real_policies, saas_cases, share_table

from compiler.adopt import Adoption
from compiler.evaluate import Evaluator, compile_node_filter, node_domain, parse_policy
from compiler.evaluate.flowset import flow_differences, parse_wire
from datafiles import require_data, require_shared

KNOWN_REFUSED = {
    "anoopkansupada__tailscale-policy__policy.hujson": "invalid HuJSON",  # INDEX.md: INVALID
    "kaywoz__tailscale__old.hujson": "invalid HuJSON",  # INDEX.md: INVALID
    "juanfont__headscale__tests_acls_acl_policy_invalid.hujson": 'group not found: "group:engineering"',
    "juanfont__headscale__tests_acls_acl_policy_1.hujson": 'dst="git-server": host not found',
    "georgepstaylor__lab-tailscale-config__policy.hujson": 'group not found: "group:gs_vnet"',
    # `"ip": ["*:8096"]`: the evaluator (compiler.evaluate.ports) refuses a `*` protocol with a port
    "ananthb__machines__policy.hujson": 'proto "*": unknown protocol',
}


def node_filter_differences(old_text: str, adoption: Adoption) -> dict[str, list[str]]:
    """An oracle apart from the proof: every node's packet filter as the control plane would
    send it, old policy against new, compared as sets of flows."""
    inventory = adoption.inventory
    before = Evaluator(parse_policy(old_text), inventory)
    after = Evaluator(parse_policy(adoption.policy_text), inventory)
    out = {}
    for node in inventory.devices:
        diff = flow_differences(
            parse_wire(compile_node_filter(before, node)),
            parse_wire(compile_node_filter(after, node)),
            node_domain(node),
        )
        if diff:
            out[node.name] = [str(d) for d in diff]
    return out


def test_every_real_policy_imports_with_zero_difference_or_a_named_refusal() -> None:
    # real people's files, not vendored (no licence stated): only in ../shared
    outcomes = list(real_policies(require_shared("policies/INDEX.md").parent))
    print("\n" + "\n".join(share_table(outcomes)))
    refused = {o.name: o.error for o in outcomes if o.adoption is None}
    assert refused.keys() == KNOWN_REFUSED.keys()
    for name, reason in KNOWN_REFUSED.items():
        assert reason in refused[name] and refused[name].startswith(name + ":"), refused[name]
    for o in outcomes:
        assert o.adoption is None or not node_filter_differences(o.text, o.adoption), o.name
    assert counts(outcomes) == {
        "zero difference": len(outcomes) - len(KNOWN_REFUSED),
        "named difference": 0,
        "refused": len(KNOWN_REFUSED),
    }


def test_accepted_control_plane_cases_import_with_zero_difference() -> None:
    """Every second accepted case (the suite's time budget); `python tests/adopt_corpus.py`
    imports all 724 and prints the counts."""
    outcomes = list(saas_cases(require_data("saas/cases.jsonl"), stride=2))
    assert len(outcomes) == 362
    for o in outcomes[::4]:  # the independent oracle on an eighth of them
        assert o.adoption is None or not node_filter_differences(o.text, o.adoption), o.name
    assert counts(outcomes) == {"zero difference": 362, "named difference": 0, "refused": 0}, [
        (o.name, o.error or (o.adoption and o.adoption.proof.lines(3)))
        for o in outcomes
        if o.kind != "zero difference"
    ]
