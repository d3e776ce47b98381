"""Typed dictionaries for the JSON shapes a method also accepts in place of a model.

Generated from openapi.yaml (``cakework_spec.params``); re-exported here for ``cakework``.
"""

from __future__ import annotations

from cakework_spec.params import BuildFileParam

__all__ = ["BuildFileParam"]
