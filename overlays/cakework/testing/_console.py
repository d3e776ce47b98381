"""The console: a page at ``/_emulator/`` and the control routes it reads and acts through.

Routes (each described in ``emulator.yaml``):

* ``GET /_emulator/`` the page itself: one HTML document with its CSS and JavaScript
  inlined from ``static/`` (no CDN, nothing fetched from elsewhere), plus the ``Fault``
  schema of ``emulator.yaml``, from which the page builds its fault form.
* ``GET /_emulator/overview`` what one tenant holds (builds with their current step,
  Dockerfile and log so far; VMs with their state timeline), the clock and the faults.
* ``GET /_emulator/requests`` the request log, masked, filterable; ``GET
  /_emulator/requests.har`` the same as HAR 1.2.
* ``POST /_emulator/tenants/{tenant}/vms/{vmId}/stop|destroy`` the page's buttons: the
  backend methods the API's stopVM/stopCachedVM/destroyCachedVM call, nothing else.
* ``POST /_emulator/clock/speed``; ``GET``/``PUT /_emulator/state``; the list of
  active faults for ``GET /_emulator/faults`` (the route itself is the app's).

Tenants are numbered from 0 in the order of the emulator's API keys; a key is only ever
shown masked.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ._clock import ManualClock, ScaledClock
from ._errors import TOO_DEEP, EmulatorError
from ._faults import Fault, FaultTable
from ._har import to_har
from ._journal import Exchange, mask_key, masked_body, masked_headers
from ._persist import StateFileError, export_state, import_state
from ._state import Backend, BuildRecord, VMRecord

if TYPE_CHECKING:
    from ._app import EmulatorApp

STATIC = Path(__file__).resolve().parent / "static"
LIST_LIMIT = 200
"""Builds, VMs and requests the overview and the request list return at most (newest)."""


def find_control_spec() -> Path:
    """Locate emulator.yaml: packaged next to this module (wheel), else at the repo root.

    Raises:
        FileNotFoundError: neither exists.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "emulator.yaml", here.parents[2] / "emulator.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("emulator.yaml not found next to cakework.testing or at the repo root")


def _resolve(node: Any, components: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = components[ref.rsplit("/", 1)[1]]
            merged = {
                **_resolve(target, components),
                **{k: v for k, v in node.items() if k != "$ref"},
            }
            return merged
        return {key: _resolve(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, components) for item in node]
    return node


@functools.cache
def fault_schema() -> dict[str, Any]:
    """The ``Fault`` schema of emulator.yaml, references resolved: the fault form's source."""
    document = yaml.safe_load(find_control_spec().read_text(encoding="utf-8"))
    components = document["components"]["schemas"]
    schema: dict[str, Any] = _resolve(components["Fault"], components)
    return schema


def _script_json(value: Any) -> str:
    # Inside <script>, "</" would end the element: JSON allows "<\/" for it.
    return json.dumps(value).replace("</", "<\\/")


@functools.cache
def _page() -> str:
    html = (STATIC / "console.html").read_text(encoding="utf-8")
    css = (STATIC / "console.css").read_text(encoding="utf-8")
    script = (STATIC / "console.js").read_text(encoding="utf-8")
    return (
        html.replace("/*CONSOLE_CSS*/", css)
        .replace("/*CONSOLE_JS*/", script)
        .replace("/*FAULT_SCHEMA*/", _script_json(fault_schema()))
    )


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``body`` as a compact JSON response (the API's answers and the control routes')."""
    content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status, headers, media_type="application/json")


def _tenant_key(backend: Backend, raw: str | None) -> str:
    """The API key of a tenant number given in the URL."""
    try:
        index = int(raw if raw is not None else "0")
    except ValueError:
        index = -1
    if not 0 <= index < len(backend.api_keys):
        raise EmulatorError(
            404, f"tenant {raw}: tenants are numbered 0 to {len(backend.api_keys) - 1}"
        )
    return backend.api_keys[index]


def _current_step(build: BuildRecord, now: float) -> str | None:
    step = None
    for t, _, message in build.lines:
        if t > now:
            break
        if message.startswith(("Step ", "Cloning ")):
            step = message
    return step


def _build_view(build: BuildRecord, now: float, with_lines: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "buildId": build.build_id,
        "status": build.status(now),
        "source": build.source,
        "createdAt": build.created_at,
        "doneAt": build.done_at if now >= build.done_at else None,
        "imageId": build.image_id if now >= build.done_at else None,
        "step": _current_step(build, now),
        "dockerfile": build.dockerfile,
        "lineCount": sum(1 for t, _, _ in build.lines if t <= now),
    }
    if with_lines:
        view["lines"] = [
            {"at": t, "level": level, "message": message}
            for t, level, message in build.lines
            if t <= now
        ]
    return view


def _vm_view(vm: VMRecord, now: float) -> dict[str, Any]:
    return {
        "id": vm.vm_id,
        "cached": vm.cached,
        "state": vm.state(now),
        "imageId": vm.image_id,
        "cpu": vm.cpu,
        "memory": vm.memory,
        "diskGb": vm.disk_gb,
        "hostname": vm.hostname,
        "port": vm.port,
        "createdAt": vm.created_at,
        "timeline": [
            {"at": at, "state": state, "pending": at > now} for at, state in vm.transitions
        ],
    }


def _fault_view(operation: str, fault: Fault, remaining: int | None, fraction: float | None) -> Any:
    view: dict[str, Any] = {"operation": operation, "kind": fault.kind}
    if fault.kind == "error":
        view |= {"status": fault.status, "body": fault.body}
        if fault.retry_after is not None:
            view["retry_after"] = fault.retry_after
    elif fault.kind == "latency":
        view["seconds"] = fault.seconds
    elif fault.kind == "bad_json":
        view["bad_json"] = fault.bad_json
    if remaining is not None:
        view["times"] = remaining
    if fraction is not None:
        view["fraction"] = fraction
    return view


def faults_view(faults: FaultTable) -> dict[str, Any]:
    """The active fault rules, as ``GET /_emulator/faults`` answers them."""
    return {"faults": [_fault_view(*rule) for rule in faults.rules()]}


def request_view(exchange: Exchange, tenant_of: dict[str, int]) -> dict[str, Any]:
    """One row of the request log, every secret masked."""
    request_text, _ = masked_body(exchange.request_body)
    response_text, _ = masked_body(exchange.response_body)
    query = exchange.query.decode("latin-1")
    return {
        "seq": exchange.seq,
        "startedAt": exchange.started,
        "emulatorTime": exchange.emulator_time,
        "durationMs": round(exchange.duration * 1000, 3),
        "operation": exchange.operation,
        "method": exchange.method,
        "path": exchange.path + (f"?{query}" if query else ""),
        "status": exchange.status,
        "fault": exchange.fault_label(),
        "tenant": tenant_of.get(exchange.api_key or ""),
        "apiKey": mask_key(exchange.api_key),
        "ids": exchange.ids(),
        "requestHeaders": [list(h) for h in masked_headers(exchange.request_headers)],
        "requestBody": request_text,
        "responseHeaders": [list(h) for h in masked_headers(exchange.response_headers)],
        "responseBody": response_text,
    }


def _matches(exchange: Exchange, request: Request, tenant_of: dict[str, int]) -> bool:
    params = request.query_params
    tenant = params.get("tenant")
    # A request with no known key (a 401) belongs to no tenant: it shows for every one.
    known = tenant_of.get(exchange.api_key or "")
    if tenant is not None and known is not None and str(known) != tenant:
        return False
    operation = params.get("operation")
    if operation and exchange.operation != operation:
        return False
    status = params.get("status")
    if status:
        text = str(exchange.status)
        if status.endswith("xx") and len(status) == 3:
            if text[0] != status[0]:
                return False
        elif text != status:
            return False
    resource = params.get("resource")
    return not resource or resource in exchange.ids()


def console_routes(app: EmulatorApp) -> list[Route]:
    """The console's routes over ``app``'s backend, journal, clock and faults."""
    backend = app.backend

    def tenant_index() -> dict[str, int]:
        return {key: n for n, key in enumerate(backend.api_keys)}

    async def page(request: Request) -> Response:
        return HTMLResponse(_page(), headers={"Cache-Control": "no-store"})

    async def overview(request: Request) -> Response:
        key = _tenant_key(backend, request.query_params.get("tenant"))
        selected_build = request.query_params.get("build")
        # The backend's lock: one consistent instant for the whole view.
        with backend._lock:
            tenant = backend.tenant(key)
            now = backend.clock.now()
            builds = list(tenant.builds.values())[-LIST_LIMIT:]
            vms = list(tenant.vms.values())[-LIST_LIMIT:]
            body = {
                "now": now,
                "manual": isinstance(backend.clock, ManualClock),
                "speed": backend.clock.speed if isinstance(backend.clock, ScaledClock) else None,
                "tenants": [
                    {"tenant": n, "apiKey": mask_key(k)} for n, k in enumerate(backend.api_keys)
                ],
                "tenant": backend.api_keys.index(key),
                "builds": [
                    _build_view(b, now, b.build_id == selected_build) for b in reversed(builds)
                ],
                "vms": [_vm_view(vm, now) for vm in reversed(vms)],
                "images": len(tenant.images),
                "faults": faults_view(app.faults)["faults"],
                "requests": len(app.journal),
                "operations": sorted(op.operation_id for op in app.operations),
            }
        return json_response(body)

    async def requests(request: Request) -> Response:
        tenant_of = tenant_index()
        try:
            limit = int(request.query_params.get("limit", str(LIST_LIMIT)))
        except ValueError:
            limit = -1
        if limit < 1:
            raise EmulatorError(400, "limit: a whole number >= 1 is required")
        rows = [e for e in app.journal.entries() if _matches(e, request, tenant_of)]
        rows = rows[-limit:]
        rows.reverse()
        return json_response({"requests": [request_view(e, tenant_of) for e in rows]})

    async def har(request: Request) -> Response:
        body = json.dumps(to_har(app.journal.entries()), indent=1).encode()
        return Response(
            body,
            headers={"Content-Disposition": 'attachment; filename="cakework-emulator.har"'},
            media_type="application/json",
        )

    async def vm_action(request: Request) -> Response:
        key = _tenant_key(backend, request.path_params["tenant"])
        vm_id = request.path_params["vmId"]
        action = request.url.path.rsplit("/", 1)[1]
        with backend._lock:
            vm = backend.tenant(key).vms.get(vm_id)
            if vm is None:
                raise EmulatorError(404, f"VM {vm_id} does not exist")
            # The very methods the API's operations call: same checks, same 409s.
            if action == "stop" and vm.cached:
                backend.stop_cached_vm(key, vm_id)
            elif action == "stop":
                backend.stop_vm(key, vm_id)
            elif vm.cached:
                backend.destroy_cached_vm(key, vm_id)
            else:
                raise EmulatorError(
                    409, f"VM {vm_id} is a one-time VM: stop it, and it is destroyed after"
                )
            return json_response(_vm_view(vm, backend.clock.now()))

    async def speed(request: Request) -> Response:
        body = await control_body(request)
        value = body.get("speed")
        clock = backend.clock
        if not isinstance(clock, ScaledClock):
            raise EmulatorError(409, "the clock is manual: move it with /_emulator/clock/advance")
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise EmulatorError(400, "speed: a finite number > 0 is required")
        clock.set_speed(float(value))
        return json_response({"now": clock.now(), "speed": clock.speed})

    async def state(request: Request) -> Response:
        if request.method == "GET":
            return json_response(export_state(backend))
        try:
            document = json.loads(await request.body())
        except ValueError as exc:
            raise EmulatorError(400, "the body is not JSON") from exc
        except RecursionError:
            raise EmulatorError(400, TOO_DEEP) from None
        try:
            import_state(backend, document)
        except StateFileError as exc:
            raise EmulatorError(400, str(exc)) from exc
        return Response(status_code=204)

    return [
        Route("/_emulator/", page, methods=["GET"]),
        Route("/_emulator/overview", overview, methods=["GET"]),
        Route("/_emulator/requests", requests, methods=["GET"]),
        Route("/_emulator/requests.har", har, methods=["GET"]),
        Route("/_emulator/tenants/{tenant}/vms/{vmId}/stop", vm_action, methods=["POST"]),
        Route("/_emulator/tenants/{tenant}/vms/{vmId}/destroy", vm_action, methods=["POST"]),
        Route("/_emulator/clock/speed", speed, methods=["POST"]),
        Route("/_emulator/state", state, methods=["GET", "PUT"]),
    ]


async def control_body(request: Request) -> dict[str, Any]:
    """The JSON object a control route is sent (none: ``{}``); anything else is a 400."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise EmulatorError(400, "the body is not JSON") from exc
    except RecursionError:
        raise EmulatorError(400, TOO_DEEP) from None
    if not isinstance(body, dict):
        raise EmulatorError(400, "the body must be a JSON object")
    return body
