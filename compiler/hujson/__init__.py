"""HuJSON (JWCC: JSON with comments and trailing commas), as Tailscale reads and writes it.

Everything tailgen reads or writes about a tailnet policy goes through here:

- `loads(text)`: strict JWCC to Python data (objects as dicts in document order). Duplicate
  object names are an error unless `allow_duplicates=True` (then the last one wins, as in Go).
- `standardize(text)`: plain JSON of the same UTF-8 length; comment bytes and trailing commas
  become spaces, newlines stay, so a line/column from any JSON tool still points at the source.
- `format(text)`: Tailscale's formatter (Go `hujson.Format`) byte for byte; idempotent.
- `dumps(value, comments=...)`: Python data in that same layout, with `//` comments placed
  before the members/elements named by JSON pointers ("/grants/0", "/groups/group:eng").
- `minimize(text)`: Go's `Minimize` (all whitespace, comments and trailing commas removed).
- `HujsonError`: a ValueError with `.line`, `.column` (1-based, bytes), `.offset` and the
  message `line L, column C: <reason>` in the Go parser's words.

The parser is strict where Tailscale is strict (no single quotes, unquoted names, NaN, hex,
leading `+`, BOM, `[,]`, comments without an end) and accepts what it accepts (comments
anywhere whitespace may be, one trailing comma after the last item of an object or array).
Nesting deeper than `MAX_DEPTH` (200) is refused by `format`, `dumps`, `minimize` and the exact
parser (`loads` and `standardize` accept deeper documents when C `json` can read them).
"""

from __future__ import annotations

from compiler.hujson._ast import MAX_DEPTH
from compiler.hujson._dumps import dumps
from compiler.hujson._errors import HujsonError
from compiler.hujson._fast import loads, minimize, standardize
from compiler.hujson._render import format_text as format

__all__ = ["MAX_DEPTH", "HujsonError", "dumps", "format", "loads", "minimize", "standardize"]
