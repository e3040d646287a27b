"""The one domain error that services raise; the API and the pages each translate it once."""


class ApplicationError(Exception):
    """A refusal the user can act on, with a French message meant for them.

    ``field`` names the input at fault when there is one, so forms and the API can attach it there. ``code``
    ``"not_found"``/``"forbidden"`` are the access refusals (404/403), ``"conflict"`` a 409 (someone else was
    first); ``details`` is plain data the API adds to its body (the slots still free, say).
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid", details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.details = details or {}
