from enum import StrEnum


class KnownVMState(StrEnum):
    CREATED = "created"
    DESTROYED = "destroyed"
    STARTED = "started"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return str(self.value)
