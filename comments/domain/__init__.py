"""The rules of the process. No request objects here: views, CLI and ingestion all call these."""


class DomainError(Exception):
    """A rule said no. ``message`` is translatable text for the person who asked; ``field`` names the input."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
