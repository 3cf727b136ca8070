"""Collector actions on a case: calls, promises, callbacks, disputes; the default strategy."""


class WorkError(ValueError):
    """An action on a case refused, with the form field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
