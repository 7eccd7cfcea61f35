"""Launch configs: every service bound to its node's Tailscale address or to loopback.

Pipeline (pure): plan (site → LaunchSpec per service) → bind guard over the finished specs →
render each spec with its targets → per-device README and Linux guard. Output lives under
`launch/<device>/<service>/…` plus `launch/<device>/README.md`. When the guard refuses any
bind, nothing is rendered: a build that fails must not offer half a set of configs.
"""

from __future__ import annotations

import json
from collections import Counter

from compiler.emit.emitted import Emitted
from compiler.emit.launch import device, guard
from compiler.emit.launch.device import ServiceDoc
from compiler.emit.launch.plan import Plan, plan
from compiler.emit.launch.spec import LaunchSpec, Rendered
from compiler.emit.launch.targets import TARGETS
from compiler.errors import Problem, errors_only
from compiler.site.model import Site


def render_spec(spec: LaunchSpec) -> Rendered:
    """All targets of one spec merged, plus its config fragments (JSON, sorted keys)."""
    merged = Rendered()
    for target in spec.targets:
        part = TARGETS[target](spec)
        merged.files.update(part.files)
        merged.installs += part.installs
        merged.steps += part.steps
        merged.verify += part.verify
    if not spec.in_container:
        for config in spec.process.config:
            merged.files[config.name] = json.dumps(config.data, indent=2, sort_keys=True) + "\n"
    return merged


def _device_files(
    site: Site, name: str, specs: list[LaunchSpec], docs: list[ServiceDoc], planned: Plan
) -> dict[str, bytes]:
    skipped = planned.skipped.get(name, [])
    text = device.readme(name, docs, specs, skipped, site.source_label)
    files = {f"launch/{name}/README.md": text.encode()}
    if device.needs_guard(specs):
        guard_text = device.guard(name, specs, site.source_label)
        files[f"launch/{name}/{device.GUARD_FILE}"] = guard_text.encode()
    return files


def _summary(specs: list[LaunchSpec]) -> list[str]:
    if not specs:
        return []
    counts = Counter(s.targets[0] for s in specs)
    by_target = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
    devices = len({s.device for s in specs})
    return [f"launch: {len(specs)} service(s) on {devices} device(s) ({by_target})"]


def compile_launch(site: Site) -> tuple[Plan, list[Problem]]:
    """The launch specs as data, and the problems found planning and guarding them."""
    planned = plan(site)
    return planned, planned.problems + guard.check(site, planned.specs)


def summary(planned: Plan) -> list[str]:
    return _summary(planned.specs)


def emit(site: Site) -> Emitted:
    planned, problems = compile_launch(site)
    if errors_only(problems):
        return Emitted({}, problems, [])
    return Emitted(render(site, planned), problems, _summary(planned.specs))


def render(site: Site, planned: Plan) -> dict[str, bytes]:
    """Every launch file of a plan whose guard passed (the only step that makes bytes)."""
    files: dict[str, bytes] = {}
    by_device: dict[str, tuple[list[LaunchSpec], list[ServiceDoc]]] = {}
    for spec in planned.specs:
        rendered = render_spec(spec)
        for rel, text in rendered.files.items():
            files[f"launch/{spec.device}/{spec.service}/{rel}"] = text.encode()
        specs, docs = by_device.setdefault(spec.device, ([], []))
        specs.append(spec)
        docs.append(device.service_doc(spec, rendered))
    for name, (specs, docs) in sorted(by_device.items()):
        files.update(_device_files(site, name, specs, docs, planned))
    return dict(sorted(files.items()))
