"""Generated launch files checked by the real tools: systemd-analyze verify, plistlib,
docker-compose config, bash -n and shellcheck, nft -c.

systemd-analyze verify wants every unit it loads to resolve (sysinit.target and friends) and
every Exec*= binary to exist. Each case therefore gets a private root: a copy of this
machine's unit directory, the generated files installed at the paths the README names, and
executable stand-ins for the third-party binaries (ollama, llama-server, …) and vendor units
that the generated drop-ins extend. Our own scripts are the generated ones, never stand-ins.
It exits 0 on unknown keys, so any output on stderr counts as a failure.
"""

from __future__ import annotations

import plistlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from launch_cases import all_cases
from realtools import require, require_root_netns

from compiler.emit.launch import render_spec
from compiler.emit.launch.plan import plan
from compiler.site import loader

CASES = all_cases()
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
EXEC_LINE = re.compile(r"^Exec\w+=[-+@:!]*(\S+)", re.M)


def rendered(name: str) -> list[tuple[object, dict[str, str], list[tuple[str, str]]]]:
    """(spec, files, installs) of each launched service of a case."""
    site = loader.load_text(yaml.safe_dump(CASES[name], sort_keys=False), "site.yaml")
    out = []
    for spec in plan(site).specs:
        result = render_spec(spec)
        installs = [(i.file, i.dest) for i in result.installs]
        out.append((spec, result.files, installs))
    return out


def cases_with(suffix: str) -> list[str]:
    return [
        n for n in CASES if any(f.endswith(suffix) for _, files, _ in rendered(n) for f in files)
    ]


# ---------------------------------------------------------------------------------------------
# systemd


def _stand_in(root: Path, path: str) -> None:
    target = root / path.lstrip("/")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\n# test stand-in for a third-party program\n")
        target.chmod(0o755)


def _vendor_unit(root: Path, unit: str) -> None:
    """A stand-in for the vendor unit a generated drop-in extends (e.g. install.sh's ollama)."""
    path = root / "etc/systemd/system" / unit
    if not path.exists():
        exe = f"/usr/local/bin/vendor-{unit.removesuffix('.service')}"
        path.write_text(
            f"[Unit]\nDescription=stand-in for {unit}\n[Service]\nExecStart={exe}\n[Install]\nWantedBy=multi-user.target\n"
        )


def systemd_root(tmp_path: Path, name: str) -> tuple[Path, list[str]]:
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    units: list[str] = []
    for _, files, installs in rendered(name):
        for file, dest in installs:
            if dest.startswith("/etc/systemd/system/") or dest.startswith("/usr/local/libexec/"):
                target = root / dest.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(files[file])
                target.chmod(0o755 if dest.startswith("/usr/local/libexec/") else 0o644)
                unit = dest.removeprefix("/etc/systemd/system/").split("/")[0].removesuffix(".d")
                units += [unit] if dest.startswith("/etc/systemd/") and unit not in units else []
    for unit in units:
        _vendor_unit(root, unit)
    for unit_file in (root / "etc/systemd/system").rglob("*"):
        if unit_file.is_file():
            for exe in EXEC_LINE.findall(unit_file.read_text()):
                _stand_in(root, exe)
    return root, units


SYSTEMD_CASES = [
    n
    for n in CASES
    if any(d.startswith("/etc/systemd/") for _, _, inst in rendered(n) for _, d in inst)
]


@pytest.mark.parametrize("name", SYSTEMD_CASES)
def test_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    tool = require("systemd-analyze")
    root, units = systemd_root(tmp_path, name)
    done = subprocess.run(
        [tool, "verify", "--man=no", f"--root={root}", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr


def test_verify_catches_unknown_keys(tmp_path: Path) -> None:
    """The check above can fail: an unknown key only prints a warning on stderr."""
    tool = require("systemd-analyze")
    root, units = systemd_root(tmp_path, "systemd-llamacpp")
    unit = root / "etc/systemd/system" / units[0]
    unit.write_text(unit.read_text().replace("RestartSec=5", "RestartSec=5\nRestartSecs=5"))
    done = subprocess.run(
        [tool, "verify", "--man=no", f"--root={root}", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Unknown key 'RestartSecs'" in done.stderr


# ---------------------------------------------------------------------------------------------
# launchd


def plists(name: str) -> list[dict[str, object]]:
    return [
        plistlib.loads(data.encode())
        for _, files, _ in rendered(name)
        for f, data in files.items()
        if f.endswith(".plist")
    ]


PLIST_CASES = [n for n in CASES if plists(n)] + ["example"]


def _example_plists(repo: Path) -> list[dict[str, object]]:
    from compiler.emit.launch import emit

    site, _ = loader.load(repo / "site.yaml")
    return [plistlib.loads(v) for k, v in emit(site).files.items() if k.endswith(".plist")]


@pytest.mark.parametrize("name", PLIST_CASES)
def test_plist_loads_and_its_script_passes_shellcheck(
    name: str, repo: Path, tmp_path: Path
) -> None:
    found = _example_plists(repo) if name == "example" else plists(name)
    assert found
    for plist in found:
        assert str(plist["Label"]).startswith("tailgen.")
        argv = plist["ProgramArguments"]
        assert isinstance(argv, list) and argv[:2] == ["/bin/sh", "-c"]
        script = tmp_path / "start.sh"
        script.write_text(str(argv[2]) + "\n")
        _shell_checks(script, dialect="sh")


# ---------------------------------------------------------------------------------------------
# docker-compose


COMPOSE_CASES = cases_with("compose.yaml")


@pytest.mark.parametrize("name", COMPOSE_CASES)
def test_docker_compose_config(name: str, tmp_path: Path) -> None:
    tool = require("docker-compose")
    [(_, files, _)] = rendered(name)
    compose = tmp_path / "compose.yaml"
    compose.write_text(files["compose.yaml"])
    env = {"PATH": "/usr/bin:/bin", "TS_IP": "100.64.0.10"}
    done = subprocess.run(
        [tool, "-f", str(compose), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    for service in config["services"].values():
        hosts = {p["host_ip"] if isinstance(p, dict) else p.split(":")[0] for p in service["ports"]}
        assert hosts == {"100.64.0.10"}, hosts


def test_compose_refuses_to_start_without_the_address(tmp_path: Path) -> None:
    """With a runtime lookup, an unset TS_IP is an error, never a publish on every interface."""
    tool = require("docker-compose")
    [(_, files, _)] = rendered("runtime-docker-compose-ollama")
    compose = tmp_path / "compose.yaml"
    compose.write_text(files["compose.yaml"])
    done = subprocess.run(
        [tool, "-f", str(compose), "config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "TS_IP" in done.stderr


# ---------------------------------------------------------------------------------------------
# shell scripts and nftables


def _shell_checks(path: Path, dialect: str) -> None:
    for shell in ("bash", "sh"):
        done = subprocess.run(
            [require(shell), "-n", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [require("shellcheck"), "-s", dialect, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


SHELL_CASES = cases_with(".sh")


@pytest.mark.parametrize("name", SHELL_CASES)
def test_shell_scripts_pass_shellcheck(name: str, tmp_path: Path) -> None:
    for _, files, _ in rendered(name):
        for file, text in files.items():
            if file.endswith(".sh"):
                script = tmp_path / Path(file).name
                script.write_text(text)
                _shell_checks(script, dialect="sh")


def _guard_files() -> list[tuple[str, str]]:
    from launch_cases import emit_case

    found = []
    for name, site in CASES.items():
        for path, data in emit_case(site).files.items():
            if path.endswith(".nft"):
                found.append((name, data.decode()))
    return found


@pytest.mark.parametrize(
    "name,text", _guard_files()[:1] + [g for g in _guard_files() if g[0].startswith("runtime-")][:1]
)
def test_nft_guard_loads_twice(name: str, text: str, tmp_path: Path) -> None:
    """Loaded in a private namespace, the guard parses and reloading it does not duplicate rules."""
    require_root_netns()
    nft = require("nft")
    path = tmp_path / "guard.nft"
    path.write_text(text)
    script = f"{nft} -f {path} && {nft} -f {path} && {nft} list table inet tailgen_guard"
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("drop") == 2, done.stdout
