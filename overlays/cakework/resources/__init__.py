"""Resource namespaces of the clients: ``client.images``, ``client.vms``, ``client.cached_vms``.

Each method is a thin wrapper: it asks ``client._api`` for a flow and runs it with the
client's pump, so the sync and async classes differ only by ``await``.
"""

from .cached_vms import AsyncCachedVMs, CachedVMs
from .images import AsyncImages, Images
from .vms import AsyncVMs, VMs

__all__ = ["AsyncCachedVMs", "AsyncImages", "AsyncVMs", "CachedVMs", "Images", "VMs"]
