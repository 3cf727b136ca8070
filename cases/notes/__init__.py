"""Free notes on a case or a debtor, and tasks with a due date and an assignee, typed or raised by a rule."""


class NoteError(ValueError):
    """A note or a task refused, with the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
