"""`tailgen report` pages rendered by headless Chromium: the DOM after rendering, a screenshot,
the console, and what the page could load.

One Chromium launch per page (`--dump-dom` and `--screenshot` together). Screenshots and
pages are kept in tests/artifacts/report/ (git-ignored; TAILGEN_ARTIFACTS moves it) so a
person can look at them after the run.

The oracle for user × service cells is site.yaml itself, read here with PyYAML and plain
text search: a user may use a service when the service's `allow:` names the user, a group
holding the user, or autogroup:member; the site line of an allowed cell is where the service
is declared, of a denied one its `allow:` line. Nothing from compiler.report is borrowed.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from realtools import require
from typer.testing import CliRunner

from compiler.cli import app

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("TAILGEN_ARTIFACTS", REPO / "tests" / "artifacts")) / "report"
GOLDEN_SITES = REPO / "tests" / "golden" / "build"
# (name, site, window): the example site wide, the golden sites in a narrow and a mid window
PAGES = [
    ("example", REPO / "site.yaml", "1280,3120"),
    ("ssh-and-break-glass", GOLDEN_SITES / "ssh-and-break-glass" / "site.yaml", "480,1850"),
    ("location-allow", GOLDEN_SITES / "location-allow" / "site.yaml", "900,880"),
]
EXTERNAL = re.compile(
    r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:|//|ftp:|ws)"""
    r"""|url\(\s*["']?\s*(?!data:)|@import|<(?:script|link|img|iframe|object|embed|video|audio)\b""",
    re.IGNORECASE,
)


@dataclass
class Dom(HTMLParser):
    """The parts of the rendered DOM the assertions need."""

    cells: list[dict[str, str]] = field(default_factory=list)
    cell_text: list[str] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)
    csp: str = ""
    _group: str = ""
    _in_label: bool = False
    _in_cell: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content", "")
        elif tag == "tbody" and "data-group" in a:
            self._group = a["data-group"]
            self.groups[self._group] = ""
        elif tag == "th" and a.get("scope") == "rowgroup":
            self._in_label = True
        elif tag == "td" and "data-principal" in a:
            self.cells.append(a)
            self.cell_text.append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_label = False
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_label:
            self.groups[self._group] += data
        if self._in_cell:
            self.cell_text[-1] += data


def chromium_render(page: Path, shot: Path, window: str, profile: Path) -> tuple[str, list[str]]:
    """(DOM after rendering, console lines) from one headless Chromium launch."""
    chromium = require("chromium")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={window}",
        f"--screenshot={shot}",
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, console


# --- the oracle: site.yaml read directly ------------------------------------------------------


def _oracle(site_path: Path) -> dict[tuple[str, str], tuple[bool, int]]:
    """(login, 'device:port/proto') → (allowed, site line) for every user × service port."""
    text = site_path.read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    users = data.get("users", {})
    groups = data.get("groups", {})
    found = {}
    for name, svc in data.get("services", {}).items():
        allow = svc.get("allow", [])
        ports = svc["port"] if isinstance(svc["port"], list) else [svc["port"]]
        for key, user in users.items():
            ok = _names(key, allow, groups)
            line = _line_of(text, name, "services") if ok else _allow_line(text, name)
            for port in ports:
                column = f"{svc['device']}:{port}/{svc.get('protocol', 'tcp')}"
                found[(user["login"], column)] = (ok, line)
    return found


def _names(user: str, allow: list[str], groups: dict[str, list[str]]) -> bool:
    in_groups = {f"group:{g}" for g, members in groups.items() if user in members}
    return user in allow or bool(in_groups & set(allow)) or "autogroup:member" in allow


def _line_of(text: str, key: str, section: str) -> int:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{section}:"))
    return next(
        i + 1 for i, line in enumerate(lines) if i > start and re.match(rf"\s+{key}:", line)
    )


def _allow_line(text: str, service: str) -> int:
    first = _line_of(text, service, "services")
    lines = text.splitlines()
    if "allow:" in lines[first - 1]:  # a flow mapping on one line
        return first
    return next(i + 1 for i in range(first, len(lines)) if "allow:" in lines[i])


def _expected_groups(site_path: Path) -> set[str]:
    data = yaml.safe_load(site_path.read_text(encoding="utf-8"))
    kinds = {"users"}
    kinds |= {"groups"} if data.get("groups") else set()
    kinds |= {"tags"} if any(d.get("tags") for d in data.get("devices", {}).values()) else set()
    routed = [loc for loc in data.get("locations", {}).values() if loc.get("router")]
    return kinds | ({"locations"} if routed else set())


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.mark.parametrize(("name", "site", "window"), PAGES, ids=[p[0] for p in PAGES])
def test_report_in_chromium(
    name: str, site: Path, window: str, artifacts: Path, tmp_path: Path
) -> None:
    page, shot = artifacts / f"{name}.html", artifacts / f"{name}.png"
    result = CliRunner().invoke(app, ["report", str(site), "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    dom_text, console = chromium_render(page, shot, window, tmp_path / "profile")
    assert not console, console
    assert shot.is_file() and shot.stat().st_size > 10_000
    dom = Dom()
    dom.feed(dom_text)
    assert "default-src 'none'" in dom.csp
    assert not EXTERNAL.search(dom_text)
    _assert_groups(dom, site)
    _assert_cells(dom, site)


def _assert_groups(dom: Dom, site: Path) -> None:
    assert set(dom.groups) == _expected_groups(site)
    assert all(label.strip() for label in dom.groups.values()), dom.groups


def _assert_cells(dom: Dom, site: Path) -> None:
    lines = len(site.read_text(encoding="utf-8").splitlines())
    principals = {c["data-principal"] for c in dom.cells}
    columns = {c["data-column"] for c in dom.cells}
    pairs = {(c["data-principal"], c["data-column"]) for c in dom.cells}
    assert len(pairs) == len(dom.cells) == len(principals) * len(columns)
    for cell, text in zip(dom.cells, dom.cell_text, strict=True):
        verdict, line = cell["data-verdict"], cell["data-site-line"]
        assert verdict in ("allowed", "denied")
        assert ("allowed" if verdict == "allowed" else "no access") in text
        assert line.isdigit() and 1 <= int(line) <= lines, cell
        assert f"{site.name}:{line}" in text, (cell, text)
    by_pair = {(c["data-principal"], c["data-column"]): c for c in dom.cells}
    oracle = _oracle(site)
    assert oracle and oracle.keys() <= by_pair.keys()
    for pair, (ok, line) in oracle.items():
        cell = by_pair[pair]
        assert (cell["data-verdict"] == "allowed") == ok, pair
        assert cell["data-site-line"] == str(line), (pair, cell["data-site-line"], line)


def test_the_checks_catch_a_page_that_loads_something(tmp_path: Path) -> None:
    """The CSP refuses a request and Chromium says so on the console; the scan sees it too."""
    result = CliRunner().invoke(app, ["report", str(REPO / "site.yaml"), "-o", "-"])
    html = result.stdout
    bad = html.replace("</main>", '<img src="http://127.0.0.1:9/x.png" alt=""></main>', 1)
    assert EXTERNAL.search(bad)
    page = tmp_path / "bad.html"
    page.write_text(bad, encoding="utf-8")
    _, console = chromium_render(page, tmp_path / "bad.png", "800,600", tmp_path / "profile")
    assert any("Content Security Policy" in line for line in console), console
