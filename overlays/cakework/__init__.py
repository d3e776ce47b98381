"""Typed Python client for the Cakework REST API."""

from ._version import __version__

__all__ = ["__version__"]
