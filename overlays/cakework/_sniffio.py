"""Keep httpcore from searching for a missing ``sniffio`` on every async request.

httpcore asks ``sniffio`` which async library runs, with ``import sniffio`` inside a
function: each lock and event it makes (four per request through ``httpx.AsyncClient``)
repeats the import, and when ``sniffio`` is not installed (recent anyio no longer pulls
it in) every attempt searches the whole ``sys.path`` before failing, 0.1-0.3 ms each.
Depending on ``sniffio`` would fix that, but the runtime dependencies are httpx, attrs
and python-dateutil only. Python's own rule does it for free: a module name mapped to
``None`` in ``sys.modules`` fails to import at once, with the ``ImportError`` httpcore
expects, so the answer ("asyncio") is the same, only without the search. Nothing changes
when ``sniffio`` is installed (trio depends on it), and the sync client never does this.
"""

from __future__ import annotations

import importlib.util
import sys

_done = False


def skip_missing_sniffio_search() -> None:
    """Record once that ``sniffio`` is not installed, so later imports fail at once."""
    global _done
    if _done:
        return
    _done = True
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]
