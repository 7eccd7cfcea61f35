"""Site → artifacts: one module per artifact kind (`policy`, `dns`, `launch`).

`compiler.emit.artifacts` runs them: `compile_site(site)` gives the compiled data (policy
document, DNS configuration, launch specs), `render(artifacts)` the bytes. Each kind's module
also offers `emit(site) -> Emitted` (compile and render that kind alone), which tests use.
This package module imports nothing of its own so importing any submodule never runs the
others (no import cycles, no string registries).
"""

from __future__ import annotations

from compiler.emit.emitted import Emitted, Rule

__all__ = ["Emitted", "Rule"]
