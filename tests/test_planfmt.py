"""The plan formats: markdown renders cleanly and fits a GitHub comment; text is plain when
piped and styled on a terminal; json is stable and versioned."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from test_diff_golden import CASES, plan_for

from compiler.build import compile_text
from compiler.review import Plan, Snapshot, diff
from compiler.review.planfmt import jsonfmt, markdown, render, text
from compiler.review.safety import Verdict
from compiler.review.textdiff import FileDiff, unified

REPO = Path(__file__).resolve().parents[1]


def example_plan() -> Plan:
    """The example site against a version with one more person in the family and one fewer
    break-glass device: access gained and lost, an unsafe verdict, DNS and policy changes."""
    text_before = (REPO / "site.yaml").read_text(encoding="utf-8")
    text_after = text_before.replace("family: [emory, partner]", "family: [emory, partner, guest]")
    text_after = text_after.replace(
        "devices: [icon, wintendo, lmStudio]", "devices: [icon, wintendo]"
    )
    # and no SSH rule: its port-22 grant to tag:ai would keep the lmStudio path open
    text_after = text_after.replace(
        "  - {from: [emory], to: [tag:ai], as: [autogroup:nonroot], mode: check}", "  []"
    )
    assert text_after != text_before
    before, after = compile_text(text_before), compile_text(text_after)
    return diff(
        Snapshot(after.files, "site.yaml", site=after.site),
        Snapshot(before.files, "out/", site=before.site),
    )


class _Visible(HTMLParser):
    """Text a reader sees outside code (where markup characters are meant literally)."""

    def __init__(self) -> None:
        super().__init__()
        self.code_depth = 0
        self.visible: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.code_depth += tag in ("code", "pre")

    def handle_endtag(self, tag: str) -> None:
        self.code_depth -= tag in ("code", "pre")

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self.visible.append(data)


def _rendered(md: str) -> _Visible:
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    parser = _Visible()
    parser.feed(html)
    return parser


def assert_clean(md: str) -> _Visible:
    seen = _rendered(md)
    visible = "".join(seen.visible)
    for markup in ("**", "`", "|", "<", ">", "\\", "[", "](", "```"):
        assert markup not in visible, f"raw {markup!r} leaks into the rendered text"
    assert seen.tags.count("details") == md.count("<details>")
    assert seen.tags.count("summary") == md.count("<summary>")
    return seen


def test_example_plan_markdown_renders_without_raw_markup() -> None:
    plan = example_plan()
    assert plan.access.gained and plan.access.lost and not plan.safe
    md = markdown.render(plan)
    seen = assert_clean(md)
    assert seen.tags.count("table") == 3  # summary, access gained, access lost
    assert "strong" in seen.tags and "pre" in seen.tags


@pytest.mark.parametrize("name", CASES)
def test_every_golden_markdown_renders_cleanly(name: str) -> None:
    assert_clean(markdown.render(plan_for(name)))


def _huge_plan() -> Plan:
    old = "".join(f"line {i}\n" for i in range(20_000))
    new = "".join(f"line {i} changed\n" for i in range(20_000))
    files = tuple(
        FileDiff(f"launch/d{i}/README.md", "changed", unified(f"launch/d{i}/README.md", new, old))
        for i in range(3)
    )
    base = plan_for("add-user-to-group")
    return Plan(
        base.desired,
        base.current,
        base.access,
        base.policy,
        base.dns,
        (),
        files,
        Verdict(),
        "sha256:0",
    )


def test_markdown_stays_under_githubs_limit_and_says_so() -> None:
    md = markdown.render(_huge_plan())
    assert len(md) < markdown.GITHUB_LIMIT
    assert "more not shown" in md and "tailgen diff" in md
    assert md.count("<details>") == md.count("</details>")
    assert_clean(md)


def test_text_is_plain_when_piped_and_styled_on_a_terminal() -> None:
    plan = example_plan()
    plain = text.render(plan)
    styled = text.render(plan, color=True)
    assert "\x1b[" not in plain and "\x1b[" in styled
    assert plain.splitlines()[0].startswith("site.yaml vs out/: access: ")
    assert "\t" in plain  # diff lines keep the policy's tabs exactly


def test_no_changes_is_one_line() -> None:
    plan = plan_for("identical")
    assert text.render(plan) == "No changes: after.yaml and before.yaml agree.\n"
    assert json.loads(jsonfmt.render(plan))["changed"] is False


def test_json_has_a_version_and_the_documented_keys() -> None:
    data = json.loads(render(example_plan(), "json"))
    assert data["version"] == jsonfmt.VERSION == 1
    assert list(data) == [
        "version", "desired", "current", "changed", "summary", "counts", "safety",
        "access", "policy", "dns", "launch", "files", "checksum",
    ]  # fmt: skip
    documented = (REPO / "docs" / "plan-schema.md").read_text(encoding="utf-8")
    assert all(f'"{key}"' in documented for key in data)
    assert data["checksum"].startswith("sha256:")
