"""How headscale's policy names the site's users.

headscale requires every user token to contain `@` and resolves it (after stripping a trailing
`@`) against the user's OIDC identifier, then email, then name (reference/tailscale.md §8). A
Tailscale login at an e-mail domain (`partner@example.com`) is the user's e-mail in headscale
too; a login at an identity provider (`emory@github`) is not an address headscale knows, so the
user is the headscale user named by the login's local part, written `emory@` (what
`headscale users create emory` makes).
"""

from __future__ import annotations

from compiler.errors import Problem, Severity
from compiler.site.access import ROLE_AUTOGROUPS, members
from compiler.site.model import Site

#: Roles whose autogroup Tailscale has and headscale does not (it has no roles).


def headscale_user(login: str) -> str:
    """The headscale user token for a Tailscale login."""
    local, _, domain = login.partition("@")
    return login if "." in domain else f"{local}@"


def user_name(login: str) -> str:
    """The headscale user's name (`headscale users create NAME`): the token without `@…`."""
    return login.partition("@")[0]


def user_tokens(site: Site) -> dict[str, str]:
    """Tailscale login → headscale token, for every site user."""
    return {u.login: headscale_user(u.login) for u in site.users.values()}


def role_members(site: Site) -> dict[str, list[str]]:
    """Each role autogroup → the headscale tokens of its users (the access model expands it)."""
    return {
        group: [headscale_user(site.users[key].login) for key in members(site, group)]
        for group in ROLE_AUTOGROUPS
    }


def token_clashes(site: Site) -> list[Problem]:
    """Two site users that headscale would see as one user (`multiple users found`)."""
    seen: dict[str, str] = {}
    problems = []
    for key, user in site.users.items():
        token = headscale_user(user.login)
        if token in seen:
            problems.append(
                Problem(
                    "headscale-user-clash",
                    f"users {seen[token]!r} and {key!r} are both {token!r} in headscale",
                    site.value_span("users", key, "login"),
                    Severity.ERROR,
                    "give them logins with different names before the @",
                    ("users", key, "login"),
                )
            )
        seen.setdefault(token, key)
    return problems
