"""``cakework.testing``: a stateful local Cakework emulator for tests and demos.

Start it as a context manager, with the pytest fixture ``cakework_emulator``, or from a
shell: ``python -m cakework.testing --port 8080 [--speed 10 | --manual-clock] [--api-key K ...]``.
Needs the ``emulator`` extra: ``pip install 'cakework-client[emulator] @ <wheel or repository>'``.

Example::

    from cakework import Cakework
    from cakework.testing import Emulator

    with Emulator(manual_clock=True) as emu:
        client = Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=emu.advance)
        emu.register_github_repo("org/app", {"app.py": "print(1)"})
        emu.inject("startVM", "drop_after")        # the VM is created, the reply is lost
        emu.inject("getVM", "error", status=503, times=2)
        ...
        assert emu.request_count("startVM") == 1
        assert emu.resources()["running_vms"] == 0

Requests are validated against the packaged ``openapi.yaml`` (400 ``{"error": ...}``);
every API key is a tenant of its own; builds, boots and log lines follow the emulator
clock; control routes for other languages live under ``/_emulator/`` (``reset``,
``clock``, ``clock/advance``, ``faults``, ``counters``, ``resources``, ``github``,
``state``, ``requests.har``), and the console, a page that shows it all live, at
``/_emulator/`` (``Emulator.console_url``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import EmulatorApp, create_app
    from ._clock import ManualClock, ScaledClock
    from ._errors import EmulatorError
    from ._faults import Fault, FaultKind
    from ._persist import StateFileError
    from ._server import Emulator
    from ._state import Timings

# Imported on first use (PEP 562): pytest imports ``cakework.testing.pytest_plugin`` in
# every session where the package is installed, and that must neither cost the ~1 s of
# importing starlette/uvicorn/openapi-core nor fail when the ``emulator`` extra is absent.
_HOMES = {
    "Emulator": "._server",
    "EmulatorApp": "._app",
    "EmulatorError": "._errors",
    "Fault": "._faults",
    "FaultKind": "._faults",
    "ManualClock": "._clock",
    "ScaledClock": "._clock",
    "StateFileError": "._persist",
    "Timings": "._state",
    "create_app": "._app",
}

# Third-party modules of the ``emulator`` extra: missing one means the extra is missing.
_EXTRA_MODULES = frozenset(
    {"starlette", "uvicorn", "openapi_core", "dockerfile", "yaml", "jsonschema_path"}
)

__all__ = [
    "Emulator",
    "EmulatorApp",
    "EmulatorError",
    "Fault",
    "FaultKind",
    "ManualClock",
    "ScaledClock",
    "StateFileError",
    "Timings",
    "create_app",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(home, __name__)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _EXTRA_MODULES:
            raise
        raise ModuleNotFoundError(
            f"cakework.testing needs the 'emulator' extra (module {exc.name!r} is missing): "
            "pip install 'cakework-client[emulator] @ <wheel or repository>'",
            name=exc.name,
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
