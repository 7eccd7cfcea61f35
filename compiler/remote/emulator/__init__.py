"""A local Tailscale API emulator: a real HTTP server on loopback (`tailgen serve-emulator`).

- `state`: the tailnet (policy bytes + ETag, DNS, devices) and the API's rules on it;
- `auth`: API keys, OAuth clients and their tokens, scopes per operation;
- `faults`: switchable fault injection (429, 500, slow, dropped, out-of-band edits);
- `server`: the HTTP layer (routing by `compiler.remote.operations`, bodies, status codes);
- `seed`: devices from a site file or a devices JSON file.
"""

from __future__ import annotations

from compiler.remote.emulator.server import Emulator

__all__ = ["Emulator"]
