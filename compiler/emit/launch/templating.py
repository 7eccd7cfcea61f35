"""Finding and rendering the jinja2 templates of the launch targets.

Templates live in the repository's `templates/<target>/` and ship inside the wheel as
`compiler/_templates` (pyproject force-include); `templates_dir` prefers the packaged copy so
an installed tailgen never reads a stray checkout. Rendering is strict: an undefined variable
is an error, not an empty string, and files keep their trailing newline.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import compiler
from compiler.emit.launch.quoting import FILTERS
from compiler.emit.services.base import RUNTIME_IP

if TYPE_CHECKING:
    import jinja2


def templates_dir() -> Path:
    """`compiler/_templates` when installed from a wheel, else the repository's templates/."""
    package = Path(compiler.__file__).resolve().parent
    packaged = package / "_templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


@cache
def environment() -> jinja2.Environment:
    import jinja2  # only rendering needs it: the evaluating commands compile launch specs only

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,  # templates do not change during a run: skip a stat per render
    )
    env.filters.update(FILTERS)
    # No template calls jinja's default globals (range, dict, lipsum, cycler, joiner,
    # namespace); without them each render's context is not copied out of a ChainMap of
    # them, a quarter of the cost of rendering a small file (thousands per large site).
    env.globals.clear()
    return env


def render(template: str, **context: Any) -> str:
    """Render one template; the runtime placeholder must never survive into the bytes.

    The compiled template's root function runs on a context that shares `context` instead
    of copying it (jinja's `Template.render` copies the variables into a new dict and wraps
    the call for traceback rewriting: a third of the cost of a small file, thousands of
    files per large site). Nothing a template can do writes to the shared dict: `{% set %}`
    goes to the context's own variables. The context is made directly, without the globals
    (there are none: see `environment`) whose keys `new_context` would collect from a
    ChainMap on every render; only a template module (`import`, never used) reads them."""
    from jinja2.runtime import Context

    env = environment()
    compiled = env.get_template(template)
    frame = Context(env, context, compiled.name, compiled.blocks)
    text = "".join(compiled.root_render_func(frame))
    if RUNTIME_IP in text:
        raise RuntimeError(f"{template}: unreplaced runtime address placeholder")
    return text
