"""Which listeners a device runs on purpose: each OS's own services, the site's global list
(`audit.expected`) and the device's (`expected_listeners`), each with where it was declared.

The audit reads this to leave expected listeners out of its findings (and show them as
expected); the report reads it to show them. The OS lists hold only what the OS itself runs
and a user cannot easily turn off; anything a user chose to run (sshd included) is declared.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.site.model import OS, ExpectedListener, Site

LSOF_COMMAND_WIDTH = 9


def _e(port: int | str | None, process: str | None, why: str) -> ExpectedListener:
    return ExpectedListener(port=port, process=process, why=why)


OS_DEFAULTS: dict[OS, tuple[ExpectedListener, ...]] = {
    OS.WINDOWS: (
        _e(135, None, "RPC endpoint mapper (svchost)"),
        _e(139, None, "NetBIOS session service"),
        _e(445, None, "SMB file and printer sharing (System)"),
        _e(5040, None, "Connected Devices Platform (svchost)"),
        _e(5357, None, "Web Services on Devices (System)"),
        _e("49664-49669", None, "RPC dynamic ports (lsass, wininit, services, spoolsv)"),
    ),
    OS.MACOS: (
        _e(None, "rapportd", "Continuity / Handoff"),
        _e(5000, "ControlCenter", "AirPlay receiver (ControlCenter)"),
        _e(7000, "ControlCenter", "AirPlay receiver (ControlCenter)"),
    ),
}


@dataclass(frozen=True)
class Expected:
    """An expected listener and where it comes from: "windows default" or "site.yaml:88"."""

    listener: ExpectedListener
    source: str

    def matches(self, port: int, process: str) -> bool:
        """Port in range and, when both names are known, the same process (lsof cuts
        names to 9 characters: `ControlCe` stands for ControlCenter). A table without
        process names (netstat -ano, /proc) matches on the port alone."""
        low, high = self.listener.port_range()
        if not low <= port <= high:
            return False
        want = self.listener.process
        if not want or not process or process == want:
            return True
        return len(process) == LSOF_COMMAND_WIDTH and want.startswith(process)

    def __str__(self) -> str:
        """`Remote Login: port 22, launchd (site.yaml:13)`."""
        port = f"port {self.listener.port}" if self.listener.port is not None else "any port"
        who = f", {self.listener.process}" if self.listener.process else ""
        return f"{self.listener.why or 'expected'}: {port}{who} ({self.source})"


def expected_listeners(site: Site, device: str) -> list[Expected]:
    """Everything expected on `device`: its own list, the site's, then its OS's defaults."""
    dev = site.devices[device]
    label = site.source_label
    found = [
        Expected(x, f"{label}:{site.span('devices', device, 'expected_listeners', i).line}")
        for i, x in enumerate(dev.expected_listeners)
    ]
    found += [
        Expected(x, f"{label}:{site.span('audit', 'expected', i).line}")
        for i, x in enumerate(site.audit.expected)
    ]
    if site.audit.os_defaults:
        found += [Expected(x, f"{dev.os.value} default") for x in OS_DEFAULTS.get(dev.os, ())]
    return found
