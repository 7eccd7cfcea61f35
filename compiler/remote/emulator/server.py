"""The emulator's HTTP layer: a real `ThreadingHTTPServer` on loopback.

Requests are routed by the operation table the client uses (`compiler.remote.operations`),
authenticated (`auth`), passed through fault injection (`faults`) and answered by `state`.
Behaviour real clients rely on, kept here: every status >= 400 has a JSON `{"message": …}`
body; GET `/acl` answers HuJSON or JSON by `Accept`, both with the same ETag; a successful
POST `/acl` is 200 with the policy and its new ETag; request bodies may be chunked.
Two extra paths, outside `/api/v2`, steer a rehearsal or a test: `POST /emulator/faults`
queues a fault (`{"kind": "429", "op": "setPolicyFile", "count": 1}`), `GET /emulator/state`
shows the stored policy, DNS and devices (never credentials).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from compiler import hujson
from compiler.errors import UsageError
from compiler.remote import operations as ops
from compiler.remote.emulator.auth import Auth
from compiler.remote.emulator.faults import Fault, Faults
from compiler.remote.emulator.state import (
    Reject,
    TailnetState,
    device_view,
    routes_of,
)
from compiler.remote.operations import Operation

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_BODY = 10 * 1024 * 1024


@dataclass
class Request:
    op: Operation
    holes: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise Reject(400, "invalid JSON body") from None

    def wants_json(self) -> bool:
        return "application/json" in self.headers.get("accept", "")


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: dict[str, str] | None = None


def _json(value: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(value).encode(), headers=headers or None)


class Emulator:
    """The emulated API. `start()` serves in a background thread; `serve_forever()` blocks."""

    def __init__(
        self,
        state: TailnetState | None = None,
        auth: Auth | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tailnet: str = "example.com",
        state_file: Path | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if host not in LOOPBACK:
            raise UsageError(f"the emulator serves on loopback only, not {host}")
        self.state = state or TailnetState()
        self.auth = auth or Auth(open_keys=True)
        self.faults = Faults()
        self.tailnet = tailnet
        self.state_file = state_file
        self.log = log
        self.edits = 0
        self.server = ThreadingHTTPServer((host, port), _handler_class(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, kind: str, op: str = "*", count: int = 1, **kw: Any) -> None:
        self.faults.add(Fault(kind, op, count, **kw))

    def edit_policy_out_of_band(self) -> None:
        """Someone edits the policy in the admin console (a comment: the ETag changes)."""
        with self.state.lock:
            self.edits += 1
            text = f"// edited in the admin console ({self.edits})\n" + self.state.policy.decode()
            self.state.policy = hujson.format(text).encode()
            self.state.is_default = False
        self.save()

    def edit_dns_out_of_band(self) -> None:
        with self.state.lock:
            self.edits += 1
            self.state.dns["searchPaths"].append(f"console-edit-{self.edits}.example")
        self.save()

    def save(self) -> None:
        """Write the state file atomically (policy, DNS, devices, users; no credentials)."""
        if self.state_file is None:
            return
        data = json.dumps(self.state.to_json(), indent=2).encode()
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".emulator-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, self.state_file)

    # -- dispatch -------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in ops.OPERATIONS:
            if op.method == method and (m := op.pattern().match(path)):
                return op, m.groupdict()
        return None

    def answer(self, req: Request) -> Answer:
        tailnet = req.holes.get("tailnet")
        if tailnet is not None and tailnet not in ("-", self.tailnet):
            raise Reject(404, "tailnet not found")
        self.auth.require(req.headers.get("authorization", ""), req.op.scope)
        answer = HANDLERS[req.op](self, req)
        if req.op.method != "GET" and answer.status == 200:
            self.save()
        return answer


# -- one handler per operation ------------------------------------------------------------------


def _policy_answer(emu: Emulator, req: Request) -> Answer:
    state = emu.state
    with state.lock:
        policy, etag = state.policy, state.etag
    if req.query.get("details", [""])[0] in ("1", "true"):
        import base64

        body: dict[str, Any] = {
            "acl": base64.b64encode(policy).decode(),
            "warnings": [],
            "errors": None,
        }
        return _json(body, ETag=etag)
    if req.wants_json():
        return _json(hujson.loads(policy.decode()), ETag=etag)
    return Answer(200, policy, "application/hujson", {"ETag": etag})


def _set_policy(emu: Emulator, req: Request) -> Answer:
    emu.state.set_policy(req.body, req.headers.get("if-match"))
    return _policy_answer(emu, req)


def _validate(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.validate(req.body))


def _get_dns(emu: Emulator, req: Request) -> Answer:
    with emu.state.lock:
        return _json(emu.state.dns)


def _set_dns(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.set_dns(req.json()))


def _nameservers(emu: Emulator, req: Request) -> Answer:
    return _json({"dns": emu.state.nameservers()})


def _set_nameservers(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.set_nameservers(req.json()))


def _preferences(emu: Emulator, req: Request) -> Answer:
    return _json({"magicDNS": emu.state.dns["preferences"]["magicDNS"]})


def _set_preferences(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.set_preferences(req.json()))


def _search_paths(emu: Emulator, req: Request) -> Answer:
    return _json({"searchPaths": list(emu.state.dns["searchPaths"])})


def _set_search_paths(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.set_search_paths(req.json()))


def _split_dns(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.split_dns())


def _patch_split_dns(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.update_split_dns(req.json(), replace=False))


def _put_split_dns(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.update_split_dns(req.json(), replace=True))


def _devices(emu: Emulator, req: Request) -> Answer:
    fields = req.query.get("fields", ["default"])[0]
    filters = {k: v for k, v in req.query.items() if k != "fields"}
    with emu.state.lock:
        found = [device_view(d, fields) for d in emu.state.devices if _matches(d, filters)]
    return _json({"devices": found})


def _matches(device: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """Exact-match filters, AND-ed; a list field must contain every value asked for."""
    for key, wanted in filters.items():
        value = device.get(key)
        have = (
            [str(v).lower() if isinstance(v, bool) else str(v) for v in value]
            if isinstance(value, list)
            else [str(value).lower() if isinstance(value, bool) else str(value)]
        )
        if not all(w in have for w in wanted):
            return False
    return True


def _device(emu: Emulator, req: Request) -> Answer:
    fields = req.query.get("fields", ["default"])[0]
    with emu.state.lock:
        return _json(device_view(emu.state.device(req.holes["deviceId"]), fields))


def _routes(emu: Emulator, req: Request) -> Answer:
    with emu.state.lock:
        return _json(routes_of(emu.state.device(req.holes["deviceId"])))


def _set_routes(emu: Emulator, req: Request) -> Answer:
    return _json(emu.state.set_routes(req.holes["deviceId"], req.json()))


def _set_tags(emu: Emulator, req: Request) -> Answer:
    emu.state.set_tags(req.holes["deviceId"], req.json())
    return _json({})


HANDLERS: dict[Operation, Callable[[Emulator, Request], Answer]] = {
    ops.GET_POLICY: _policy_answer,
    ops.SET_POLICY: _set_policy,
    ops.VALIDATE_POLICY: _validate,
    ops.GET_DNS_CONFIG: _get_dns,
    ops.SET_DNS_CONFIG: _set_dns,
    ops.GET_NAMESERVERS: _nameservers,
    ops.SET_NAMESERVERS: _set_nameservers,
    ops.GET_PREFERENCES: _preferences,
    ops.SET_PREFERENCES: _set_preferences,
    ops.GET_SEARCH_PATHS: _search_paths,
    ops.SET_SEARCH_PATHS: _set_search_paths,
    ops.GET_SPLIT_DNS: _split_dns,
    ops.PATCH_SPLIT_DNS: _patch_split_dns,
    ops.SET_SPLIT_DNS: _put_split_dns,
    ops.LIST_DEVICES: _devices,
    ops.GET_DEVICE: _device,
    ops.GET_ROUTES: _routes,
    ops.SET_ROUTES: _set_routes,
    ops.SET_TAGS: _set_tags,
}


# -- the HTTP handler ---------------------------------------------------------------------------


def _handler_class(emu: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        emulator = emu

    return Handler


class _Handler(BaseHTTPRequestHandler):
    emulator: Emulator
    protocol_version = "HTTP/1.1"
    server_version = "tailgen-emulator"
    wbufsize = 1 << 16  # headers and body leave in one segment (no Nagle/delayed-ACK stall)
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        if self.emulator.log:
            self.emulator.log(
                f"{self.command} {self.path.split('?')[0]} {args[1] if len(args) > 1 else ''}"
            )

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except Reject as exc:
            self._send(_json(exc.body, exc.status))
            return
        url = urlsplit(self.path)
        if url.path.startswith("/emulator/"):
            self._send(self._control(url.path, body))
            return
        if url.path == ops.OAUTH_TOKEN_PATH and self.command == "POST":
            self._send(self._token(body))
            return
        routed = self.emulator.route(self.command, url.path)
        if routed is None:
            self._send(_json({"message": "not found"}, 404))
            return
        op, holes = routed
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(op, holes, parse_qs(url.query), headers, body)
        fault = self.emulator.faults.take(op.id)
        if fault is not None and self._fault_answered(fault):
            return
        try:
            answer = self.emulator.answer(req)
        except Reject as exc:
            answer = _json(exc.body, exc.status)
        except Exception as exc:  # an emulator bug still answers the way the API would
            answer = _json({"message": f"internal server error: {type(exc).__name__}"}, 500)
        if fault is not None and fault.kind == "drop-after":
            self._drop()
            return
        self._send(answer)

    def _fault_answered(self, fault: Fault) -> bool:
        """Apply a fault; True when it replaced the answer (or dropped the connection)."""
        if fault.kind == "429":
            retry = str(fault.retry_after)
            self._send(_json({"message": "too many requests"}, 429, **{"Retry-After": retry}))
            return True
        if fault.kind == "500":
            self._send(_json({"message": "internal server error"}, 500))
            return True
        if fault.kind == "drop":
            self._drop()
            return True
        if fault.kind == "slow":
            time.sleep(fault.delay)
        elif fault.kind == "edit":
            self.emulator.edit_policy_out_of_band()
        elif fault.kind == "edit-dns":
            self.emulator.edit_dns_out_of_band()
        return False

    def _token(self, body: bytes) -> Answer:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            return _json(self.emulator.auth.issue(form, self.headers.get("Authorization", "")))
        except Reject as exc:
            return _json(exc.body, exc.status)

    def _control(self, path: str, body: bytes) -> Answer:
        if path == "/emulator/state" and self.command == "GET":
            return _json(self.emulator.state.to_json())
        if path == "/emulator/faults" and self.command == "POST":
            try:
                spec = json.loads(body)
                self.emulator.inject(
                    str(spec["kind"]), str(spec.get("op", "*")), int(spec.get("count", 1))
                )
            except (ValueError, KeyError, TypeError) as exc:
                return _json({"message": f"bad fault: {exc}"}, 400)
            return _json({})
        return _json({"message": "not found"}, 404)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise Reject(413, "request body too large")
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise Reject(413, "request body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in (answer.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True  # nothing was written: the client sees a dropped line
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
