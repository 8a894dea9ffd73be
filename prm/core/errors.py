"""Domain errors: services raise them, views turn them into messages rather than server errors."""


class DomainError(Exception):
    """A business rule refused the operation; the message is shown to the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransitionError(DomainError):
    """A status change that the transition map does not allow."""


class EditConflictError(DomainError):
    """Someone else saved the same thing after this editor opened it (optimistic concurrency)."""
