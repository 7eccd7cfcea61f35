"""Policy selectors ↔ site references: user keys for logins, and which names the model holds.

A login (`alice@example.com`, `bob@github`, headscale's bare `carol@`) becomes a short user
key (`alice`); groups and tags keep their names. `Names.ref` answers "how does the site say
this selector?", or None when the model cannot say it (then the rule stays under `policy:`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MODEL_AUTOGROUPS = ("autogroup:member", "autogroup:tagged", "autogroup:admin", "autogroup:owner")
_PREFIXES = ("tag:", "group:", "autogroup:", "user:", "ipset:", "svc:", "localpart:")
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def is_login(selector: str) -> bool:
    """A user login as policies write it (not a tag, group, autogroup or address)."""
    return "@" in selector and not selector.startswith(_PREFIXES) and "/" not in selector


def valid_tag_name(name: str) -> bool:
    """Tag names as the site model allows them (Tailscale's own rule)."""
    return (
        name[:1].isascii()
        and name[:1].isalpha()
        and all(c.isascii() and (c.isalnum() or c == "-") for c in name)
    )


def site_accepts_login(login: str) -> bool:
    """Whether a site may declare a user with this login (the site's own check decides)."""
    from compiler.site.check import check_logins
    from compiler.site.model import Site

    return not list(check_logins(Site.model_validate({"users": {"u": {"login": login}}})))


@dataclass
class Names:
    """The site's users, groups and tags, and the translation of policy selectors to them."""

    users: dict[str, str] = field(default_factory=dict)  # login → key
    groups: set[str] = field(default_factory=set)  # "group:x" held by the model
    tags: set[str] = field(default_factory=set)  # "tag:x" held by the model
    hosts: dict[str, str] = field(default_factory=dict)  # host alias → the device it pins

    def add_login(self, login: str) -> str | None:
        """The user key for `login` (new or known); None when the site model refuses the login
        (headscale's bare `name@`, say): rules naming it then stay under `policy:`."""
        if login in self.users:
            return self.users[login]
        if not site_accepts_login(login):
            return None
        base = _KEY_CHARS.sub("-", login.partition("@")[0]).strip("-.") or "user"
        key, n = base, 2
        taken = set(self.users.values())
        while key in taken:
            key, n = f"{base}-{n}", n + 1
        self.users[login] = key
        return key

    def ref(self, selector: str) -> str | None:
        """The site reference for a policy selector, or None when the model has no word for it."""
        if is_login(selector):
            return self.users.get(selector)
        if selector in self.groups or selector in self.tags or selector in MODEL_AUTOGROUPS:
            return selector
        return "autogroup:member" if selector == "autogroup:members" else None  # legacy plural

    def refs(self, selectors: list[str]) -> list[str] | None:
        """All of `selectors` as site references (None if any has no model word)."""
        out = [self.ref(s) for s in selectors]
        if not selectors or any(r is None for r in out):
            return None
        return list(dict.fromkeys(r for r in out if r is not None))
