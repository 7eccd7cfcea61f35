"""Checks on one selector (`tag:x`, `group:y`, `autogroup:z`, hosts, CIDRs) in one place.

The messages are the control plane's where it was observed (reference §6.4: `src=tag not
found: "tag:x"`, `"autogroup:self" not valid on the src side of a rule`, …); where it was not,
they follow the same pattern so a person recognises them.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.evaluate.addrs import is_ip_or_cidr
from compiler.evaluate.model import Policy

AUTOGROUPS = frozenset(
    {
        "autogroup:member",
        "autogroup:members",
        "autogroup:tagged",
        "autogroup:self",
        "autogroup:internet",
        "autogroup:admin",
        "autogroup:owner",
        "autogroup:network-admin",
        "autogroup:it-admin",
        "autogroup:billing-admin",
        "autogroup:auditor",
        "autogroup:shared",
        "autogroup:danger-all",
    }
)
SRC_ONLY = frozenset({"autogroup:shared", "autogroup:danger-all"})
DST_ONLY = frozenset({"autogroup:self", "autogroup:internet"})
SELF_SOURCES = frozenset(
    {"autogroup:member", "autogroup:members", *(a for a in AUTOGROUPS if a.endswith("admin"))}
    | {"autogroup:owner", "autogroup:auditor"}
)
"""Autogroups that may be the source of a rule whose destination is autogroup:self."""


def tag_name_error(tag: str) -> str:
    """tailcfg.CheckTag's verdict on a tag name ("" when valid)."""
    if not tag.startswith("tag:"):
        return "tags must start with 'tag:'"
    name = tag[4:]
    if not name:
        return "tag names must not be empty"
    if not (name[0].isascii() and name[0].isalpha()):
        return "tag names must start with a letter, after 'tag:'"
    if not all(c.isascii() and (c.isalnum() or c == "-") for c in name):
        return "tag names can only contain numbers, letters, or dashes"
    return ""


def domain_error(domain: str, tailnet_domains: tuple[str, ...]) -> str:
    """`user:*@domain` / `localpart:*@domain` must name one of the tailnet's own domains."""
    if domain in tailnet_domains:
        return ""
    # Observed: an upper-case spelling of the tailnet's own domain is reported as "PASSKEY".
    shown = "PASSKEY" if domain.lower() in tailnet_domains and domain != domain.lower() else domain
    return f"{shown} is not associated with this Tailnet and cannot be used in user:*@<domain> expressions"


@dataclass(frozen=True)
class SelectorCheck:
    policy: Policy
    tailnet_domains: tuple[str, ...]

    def error(self, text: str, side: str) -> str:
        """What is wrong with `text` used on `side` ("src" or "dst") of a rule ("" = fine)."""
        if text == "*" or ("@" in text and not text.startswith(("user:", "tag:", "group:"))):
            return ""
        if text.startswith("autogroup:"):
            return self._autogroup(text, side)
        if text.startswith("tag:"):
            if text not in self.policy.tag_owners:
                return (
                    f'{side}=tag not found: "{text}"'
                    if side == "src"
                    else f'dst="{text}": tag not found: "{text}"'
                )
            return ""
        if text.startswith("user:*@"):
            return domain_error(text.removeprefix("user:*@"), self.tailnet_domains)
        return self._named(text, side)

    def _autogroup(self, text: str, side: str) -> str:
        if text not in AUTOGROUPS:
            return f'{side}="{text}": unknown autogroup'
        if side == "src" and text in DST_ONLY:
            return f'"{text}" not valid on the src side of a rule'
        if side == "dst" and text == "autogroup:danger-all":
            return "cannot use autogroup:danger-all as a dst"
        if side == "dst" and text in SRC_ONLY:
            return f'"{text}" not valid on the dst side of a rule'
        return ""

    def _named(self, text: str, side: str) -> str:
        if text.startswith("group:"):
            return "" if text in self.policy.groups else f'{side}=group not found: "{text}"'
        if text.startswith("ipset:"):
            return "" if text in self.policy.ipsets else f'{side}=ipset not found: "{text}"'
        if text.startswith(("svc:", "posture:")):
            return ""
        if is_ip_or_cidr(text) or text in self.policy.hosts:
            return ""
        return f'{side}="{text}": host not found'
