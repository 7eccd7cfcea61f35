"""Adopt an existing tailnet: policy (+ DNS, devices) → site.yaml, with the proof that the
site grants exactly the access the policy did.

- `import_policy(text, file, devices=None, dns=None)` → `Adoption` (site text, proof, share)
- `prove(old, new, inventory)` → `Proof` (empty differences: the same access)
- `starter_site()` → the commented starter site.yaml for `tailgen init`
"""

from __future__ import annotations

from compiler.adopt.importer import Adoption, Share, import_policy
from compiler.adopt.inputs import DnsSettings, dns_settings, read_json, topology
from compiler.adopt.proof import Proof, prove

__all__ = [
    "Adoption",
    "DnsSettings",
    "Proof",
    "Share",
    "dns_settings",
    "import_policy",
    "prove",
    "read_json",
    "topology",
]
