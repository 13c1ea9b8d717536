"""The one domain error: a broken rule, with a message meant for the user (Chinese)."""


class DomainError(Exception):
    """Raised by services; views flash it, APIs answer 422 with it, imports list it."""
