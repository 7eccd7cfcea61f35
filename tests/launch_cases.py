"""Site fixtures for the launch golden and real-tool tests: every target × every service kind,
plus the variants that change the generated text (runtime lookup, loopback+serve, LAN)."""

from __future__ import annotations

from typing import Any

import yaml

from compiler.emit import Emitted
from compiler.emit.launch import emit
from compiler.site import loader

TARGET_OS = {
    "systemd": "linux",
    "launchd": "macos",
    "windows": "windows",
    "docker-compose": "linux",
    "tailscale-serve": "linux",
}
KIND_EXTRAS: dict[str, dict[str, Any]] = {
    "ollama": {"port": 11434},
    "lmstudio": {"port": 1234},
    "openclaw": {"port": 18789},
    "llamacpp": {"port": 8080, "args": ["-m", "/srv/models/model.gguf"]},
    "open-webui": {"port": 3000},
    "vllm": {"port": 8000, "args": ["Qwen/Qwen3-8B"]},
    "generic": {
        "port": 9000,
        "command": "/usr/local/bin/myserver --listen {host}:{port} --data '/srv/my data'",
        "image": "example/myserver:1",
    },
}


def site_dict(target: str, kind: str, **service: Any) -> dict[str, Any]:
    """One device `box` running one service `svc` of `kind` under `target`."""
    svc = {"device": "box", "kind": kind, "allow": ["me"], "launch": target}
    svc.update(KIND_EXTRAS[kind])
    svc.update(service)
    device = {
        "os": TARGET_OS[target],
        "owner": "me",
        "tailscale_ip": "100.64.0.10",
        "lan_ip": "192.168.1.10",
    }
    return {
        "users": {"me": {"login": "me@example.com", "role": "admin"}},
        "devices": {"box": device},
        "services": {"svc": svc},
    }


def variants() -> dict[str, dict[str, Any]]:
    """Cases beyond the matrix, each changing what the templates write."""
    cases: dict[str, dict[str, Any]] = {}
    for target in ("systemd", "launchd", "windows", "docker-compose"):
        site = site_dict(target, "ollama")
        del site["devices"]["box"]["tailscale_ip"]
        cases[f"runtime-{target}-ollama"] = site
    site = site_dict("systemd", "llamacpp")
    del site["devices"]["box"]["tailscale_ip"]
    cases["runtime-systemd-llamacpp"] = site
    cases["serve-systemd-ollama"] = site_dict("systemd", "ollama", bind="loopback+serve")
    cases["serve-windows-open-webui"] = site_dict("windows", "open-webui", bind="loopback+serve")
    cases["serve-systemd-openclaw"] = site_dict("systemd", "openclaw", bind="loopback+serve")
    cases["lan-systemd-generic"] = site_dict("systemd", "generic", expose="lan")
    site = site_dict("systemd", "open-webui")
    site["services"]["ollama"] = {"device": "box", "kind": "ollama", "port": 11434, "allow": ["me"]}
    cases["systemd-open-webui-with-ollama"] = site
    return cases


def all_cases() -> dict[str, dict[str, Any]]:
    from compiler.emit.launch.targets import TARGETS
    from compiler.emit.services import KINDS

    cases = {f"{t}-{k}": site_dict(t, k) for t in TARGETS for k in KINDS}
    cases.update(variants())
    return dict(sorted(cases.items()))


def emit_case(site: dict[str, Any]) -> Emitted:
    return emit(loader.load_text(yaml.safe_dump(site, sort_keys=False), "site.yaml"))


def case_files(emitted: Emitted) -> dict[str, bytes]:
    """The golden tree of a case: the launch files plus problems.txt when there are any."""
    files = dict(emitted.files)
    if emitted.problems:
        lines = sorted(str(p) for p in emitted.problems)
        files["problems.txt"] = ("\n".join(lines) + "\n").encode()
    return files
