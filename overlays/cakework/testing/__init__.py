"""A stateful local Cakework emulator for tests (``cakework.testing``)."""
