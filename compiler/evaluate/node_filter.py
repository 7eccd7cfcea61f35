"""Per-node packet filters in the control plane's wire format (tailcfg.FilterRule).

The control plane does not send every node the whole policy: each node gets only the rules
whose destinations it owns or routes (its addresses, its approved subnet routes, the internet
when it is an approved exit node), and `via` rules only reach the routers carrying the via tag.
Compiling the same per-node view is how the evaluator is checked against the recorded captures.
"""

from __future__ import annotations

from typing import Any

from compiler.evaluate.addrs import ALL, INTERNET, AddrSet, format_interval
from compiler.evaluate.inventory import Device
from compiler.evaluate.rules import Atom, Evaluator

WireRule = dict[str, Any]


def node_domain(node: Device) -> AddrSet:
    """The destinations whose packets reach `node`'s filter."""
    domain = node.addrs | node.routed
    return domain | INTERNET if node.is_exit_node else domain


def compile_node_filter(evaluator: Evaluator, node: Device) -> list[WireRule]:
    """`node`'s packet filter rules, one per applicable atom (not merged; order = policy)."""
    rules = []
    for atom in evaluator.atoms:
        rule = _atom_rule(evaluator, atom, node)
        if rule is not None:
            rules.append(rule)
    return rules


def _atom_rule(evaluator: Evaluator, atom: Atom, node: Device) -> WireRule | None:
    if atom.via and not atom.via & set(node.tags):
        return None
    src, dsts = atom.src, _relevant(evaluator, atom, node)
    if atom.kind == "self" and dsts:
        src = src & dsts
    if not src or not dsts:
        return None
    rule: WireRule = {
        "SrcIPs": [format_interval(iv) for iv in src.intervals],
        "DstPorts": [
            {"IP": ip, "Ports": {"First": lo, "Last": hi}}
            for ip in _dst_texts(atom, dsts)
            for lo, hi in atom.spec.ports
        ],
    }
    if atom.spec.protos is not None:
        rule["IPProto"] = sorted(atom.spec.protos)
    return rule


def _relevant(evaluator: Evaluator, atom: Atom, node: Device) -> AddrSet:
    if atom.kind == "self":
        if node.tagged:
            return AddrSet()
        mine = evaluator.inventory.devices_of.get(node.owner, ())
        return AddrSet.of(iv for d in mine for iv in d.addrs.intervals)
    if atom.kind == "internet":
        return INTERNET if node.is_exit_node and _via_ok(atom, node) else AddrSet()
    reach = node.routed | (INTERNET if node.is_exit_node else AddrSet())
    if not atom.via:
        reach = reach | node.addrs
    return atom.dst & reach


def _via_ok(atom: Atom, node: Device) -> bool:
    return not atom.via or bool(atom.via & set(node.tags))


def _dst_texts(atom: Atom, dsts: AddrSet) -> list[str]:
    if atom.kind == "addr" and atom.dst == ALL and not atom.via:
        return ["*"]
    return [format_interval(iv) for iv in dsts.intervals]
