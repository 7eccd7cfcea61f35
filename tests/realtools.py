"""Finding the real tools tests run (systemd-analyze, docker-compose, shellcheck, nft, unshare).

A missing tool skips the test on a developer machine and fails it in CI (env CI set), where
the project's test script installs them: a check that silently never runs is no check.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is not None:
        return path
    message = f"{tool} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must install it)")
    pytest.skip(message)


def require_root_netns() -> None:
    """Private network namespaces need root (or an unprivileged-userns setup we do not assume)."""
    require("unshare")
    require("ip")
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("network namespace tests need root in CI")
        pytest.skip("network namespace tests need root")
