"""JSON a user hands tailgen (a plan file, a backup, an inventory, a listener table, a compared
`dns.json`), read so that every way it can be unreadable is a `ValueError`.

Python's `json` decoder recurses once per bracket, so a file of a few hundred thousand `[`
raises `RecursionError` instead of `JSONDecodeError`. Each reader already turns a
`ValueError` into an error naming its file; this makes a too-deep file one more of those
instead of a traceback.
"""

from __future__ import annotations

import json
from typing import Any

TOO_DEEP = "it nests too deeply"


def loads(text: str) -> Any:
    """`json.loads(text)`; a nesting too deep for the decoder is a `ValueError` too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
