"""``cakework.testing``: a stateful local Cakework emulator for tests and demos.

Start it as a context manager (``with Emulator() as emu``), with the pytest fixture
``cakework_emulator``, or from a shell: ``python -m cakework.testing --port 8080``.
Needs the ``emulator`` extra: ``pip install 'cakework-client[emulator]'``.
"""

from ._app import EmulatorApp, create_app
from ._clock import ManualClock, ScaledClock
from ._errors import EmulatorError
from ._faults import Fault, FaultKind
from ._server import Emulator
from ._state import Timings

__all__ = [
    "Emulator",
    "EmulatorApp",
    "EmulatorError",
    "Fault",
    "FaultKind",
    "ManualClock",
    "ScaledClock",
    "Timings",
    "create_app",
]
