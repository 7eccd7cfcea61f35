#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, test extras, lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
bash scripts/build-peers.sh >/dev/null || [[ -z "${CI:-}" ]]  # headscale + tailscaled for -m peers (cached)
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
ruff check compiler tests bench
ruff format --check compiler tests bench
mypy
python3 -m pytest "$@"
