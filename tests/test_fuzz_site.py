"""Site-file fuzz: random mutations of valid sites never crash, hang or write on failure.

Mutations of the example and golden sites — byte flips, truncation, inserted control
characters, inserted YAML syntax (anchors, aliases, tags, merge keys, flow brackets, tabs,
document markers) — plus random YAML event streams and alias chains. Every file goes through
`tailgen build` in-process: it exits 0 or 1; on 1, every problem line starts with
`site.yaml:LINE:COL: ` and out/ does not exist. A file that takes more than 2 s is run once
more (the machine is shared) and must then finish within 2 s: this is a hang guard for alias
bombs and runaway nesting, not a benchmark.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from compiler.cli import app

REPO = Path(__file__).resolve().parents[1]
SEEDS = [
    p.read_bytes()
    for p in [REPO / "site.yaml", *sorted((REPO / "tests/golden/build").glob("*/site.yaml"))]
]
PROBLEM_LINE = re.compile(r"^(\S*/)?site\.yaml:\d+:\d+: (error|warning): ")
TRAILER = re.compile(r"^(\d+ errors?(, \d+ warnings?)?|\d+ warnings?|\S+ was left as it was)$")
HANG_GUARD_S = 2.0
TRIED: dict[str, int] = {"files": 0, "accepted": 0, "refused": 0}

YAML_BITS = [
    b"&a ",
    b"*a",
    b"*b",
    b"<<: *a\n",
    b"!!python/object/apply:os.system ['x'] ",
    b"!x ",
    b"!!binary ",
    b"[",
    b"]",
    b"{",
    b"}",
    b": ",
    b"- ",
    b"\t",
    b"---\n",
    b"...\n",
    b"? ",
    b"|\n",
    b">-\n",
    b"'",
    b'"',
    b"#",
    b",",
    b"%YAML 1.1\n",
    b"\xef\xbb\xbf",
    b"\r\n",
    b"~",
    b"yes",
    b"no",
    b"0x1F",
    b"1e400",
    b"-.inf",
    b"2001-12-14",
    b"\\u0000",
    b"\xff\xfe",
    b"\xc3",
    b"\x00",
]
CONTROL = [bytes([c]) for c in [*range(0, 9), 11, 12, *range(14, 32), 127]]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "control", "yaml", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "control":
            data[at:at] = draw(st.sampled_from(CONTROL))
        elif kind == "yaml":
            data[at:at] = draw(st.sampled_from(YAML_BITS))
        else:
            del data[at : at + draw(st.integers(1, 40))]
    return bytes(data)


def _scalar_events(draw: st.DrawFn, anchors: list[str]) -> list[Any]:
    if anchors and draw(st.booleans()):
        return [yaml.AliasEvent(draw(st.sampled_from([*anchors, "nowhere"])))]
    tag = draw(
        st.sampled_from(
            [None, None, "tag:yaml.org,2002:str", "!odd", "tag:yaml.org,2002:python/none"]
        )
    )
    value = draw(
        st.sampled_from(["x", "yes", "on", "1", "", "100.64.0.1", "a@b", "10.0.0.1/24", "~"])
    )
    return [yaml.ScalarEvent(None, tag, (tag is None, tag is None), value)]


def _node_events(draw: st.DrawFn, depth: int, anchors: list[str]) -> list[Any]:
    kind = draw(st.sampled_from(["scalar", "scalar", "map", "seq"])) if depth < 5 else "scalar"
    if kind == "scalar":
        return _scalar_events(draw, anchors)
    anchor = draw(st.sampled_from([None, None, f"a{len(anchors)}"]))
    children = draw(st.integers(0, 4))
    if kind == "map":
        events: list[Any] = [yaml.MappingStartEvent(anchor, None, True)]
        for _ in range(children):
            key = draw(
                st.sampled_from(
                    ["users", "devices", "services", "tags", "k", "<<", "login", "port"]
                )
            )
            events.append(yaml.ScalarEvent(None, None, (True, True), key))
            events += _node_events(draw, depth + 1, anchors)
        events.append(yaml.MappingEndEvent())
    else:
        events = [yaml.SequenceStartEvent(anchor, None, True)]
        for _ in range(children):
            events += _node_events(draw, depth + 1, anchors)
        events.append(yaml.SequenceEndEvent())
    if anchor:
        anchors.append(anchor)
    return events


@st.composite
def event_streams(draw: st.DrawFn) -> bytes:
    """A random YAML document written by PyYAML's emitter from random events."""
    body = _node_events(draw, 0, [])
    events = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(), *body]
    events += [yaml.DocumentEndEvent(), yaml.StreamEndEvent()]
    try:
        return yaml.emit(events).encode("utf-8")
    except yaml.YAMLError:  # the emitter refuses some streams (e.g. an alias used as a key)
        return b"{}\n"


@st.composite
def alias_chains(draw: st.DrawFn) -> bytes:
    """`a0: &a0 [x, x]`, `a1: &a1 [*a0, *a0]`, …: expansion grows as width ** levels."""
    width, levels = draw(st.integers(2, 12)), draw(st.integers(1, 12))
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


def run_build(workdir: Path, data: bytes, n: int) -> tuple[Any, Path, float]:
    site = workdir / "site.yaml"
    site.write_bytes(data)
    out = workdir / f"out-{n}"
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["build", str(site), "--out", str(out)])
    return result, out, time.perf_counter() - start


def check_one(workdir: Path, data: bytes) -> None:
    TRIED["files"] += 1
    n = TRIED["files"]
    result, out, elapsed = run_build(workdir, data, n)
    if elapsed > HANG_GUARD_S:  # one retry: a loaded machine is not a hang
        result, out, elapsed = run_build(workdir, data, n)
        assert elapsed < HANG_GUARD_S, f"{elapsed:.2f}s for {data[:200]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r} for {data[:300]!r}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:
        TRIED["accepted"] += 1
        return
    TRIED["refused"] += 1
    assert not out.exists(), "a failed build wrote its output"
    problems = [
        line
        for line in result.stderr.splitlines()
        if not line.startswith("    ") and not TRAILER.match(line)  # counts, `out/ was left…`
    ]
    assert problems, "an error without a message"
    for line in problems:
        assert PROBLEM_LINE.match(line), (
            f"{line!r} has no site.yaml:line:col (input {data[:200]!r})"
        )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-site")


SCALE = float(os.environ.get("TAILGEN_FUZZ_SCALE", "1"))  # e.g. 20 for a long local run


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


FUZZ = settings(
    max_examples=examples(200),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(data=mutated())
def test_mutated_sites(workdir: Path, data: bytes) -> None:
    check_one(workdir, data)


@settings(FUZZ, max_examples=examples(60))
@given(data=event_streams())
def test_random_yaml_event_streams(workdir: Path, data: bytes) -> None:
    check_one(workdir, data)


@settings(FUZZ, max_examples=examples(20))
@given(data=alias_chains())
def test_alias_chains(workdir: Path, data: bytes) -> None:
    check_one(workdir, data)


def test_report_the_count_tried() -> None:
    """Runs after the fuzz tests in this module: prints how many files were tried (-s or -rA)."""
    print(
        f"\nsite-file fuzz: {TRIED['files']} files tried, {TRIED['accepted']} built, {TRIED['refused']} refused"
    )
    assert TRIED["files"] == 0 or TRIED["accepted"] + TRIED["refused"] == TRIED["files"]
