from enum import StrEnum


class KnownBuildStatus(StrEnum):
    CREATED = "created"
    FAILED = "failed"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
