"""Any other server: the site gives a command with `{host}` and `{port}` placeholders."""

from __future__ import annotations

from compiler.emit.services.base import Kind, KindInput, KindSpec, fill, split_command

NO_HOST = "the command has no {host}: tailgen cannot tell the program where to listen"
CONTAINER_COMMAND = (
    "command: is not used under docker-compose (the image's entrypoint runs); pass flags in args:"
)


def build(k: KindInput) -> KindSpec:
    if k.in_container:
        warnings = (CONTAINER_COMMAND,) if k.command else ()
        return KindSpec(argv=tuple(k.args), warnings=warnings)
    if not k.command:  # declared for the policy only: nothing to launch
        return KindSpec()
    words = [fill(w, k.host, k.port) for w in split_command(k.command, k.os)]
    return KindSpec(argv=(*words, *k.args))


def has_host(command: str) -> bool:
    return "{host}" in command


KIND = Kind(
    name="generic",
    default_port=0,
    binds_by="the site's `command:` with {host} and {port} filled in",
    traps=(
        "tailgen only checks what it can see: the program must honour the address it is given.",
    ),
    build=build,
    programs={},
)
