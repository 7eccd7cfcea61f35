"""A launch file's change is "comments only" exactly when its code lines are the same
(compiler/review/launchdiff.py), whichever way that is found: the oracle here filters both
texts naively, line by line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.review.launchdiff import launch_changes

COMMENTS = ("#", ";", "//", "REM ", "rem ", "::")
line = st.sampled_from(
    [
        "",
        "  ",
        "# site.yaml:1",
        "# site.yaml:2",
        "; x",
        "// y",
        "<!-- z -->",
        "<!-- open",
        "REM r",
        ":: c",
        "ExecStart=run",
        "  ExecStart=run  ",
        "Port=1",
        "Port=2",
        "rem q",
    ]
)


def code(text: str) -> list[str]:
    kept = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or any(stripped.startswith(p) for p in COMMENTS):
            continue
        if stripped.startswith("<!--") and stripped.endswith("-->"):
            continue
        kept.append(stripped)
    return kept


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    """A launch file and an edit of it: lines replaced in place (the common case), and
    sometimes lines inserted or removed."""
    old = draw(st.lists(line, min_size=1, max_size=20))
    new = list(old)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(new) - 1))
        what = draw(st.sampled_from(["replace", "replace", "insert", "delete"]))
        if what == "replace":
            new[at] = draw(line)
        elif what == "insert":
            new.insert(at, draw(line))
        elif len(new) > 1:
            del new[at]
    return "\n".join(new) + "\n", "\n".join(old) + "\n"


@settings(max_examples=300, deadline=None)
@given(edited())
def test_comments_only_means_the_same_code_lines(pair: tuple[str, str]) -> None:
    new, old = pair
    path = "launch/dev/svc/unit.service"
    changes = launch_changes({path: new}, {path: old})
    if new == old:
        assert changes == []
        return
    assert [c.comments_only for c in changes] == [code(new) == code(old)]
