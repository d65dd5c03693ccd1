"""Errors of the lightsnap REST API as the panel sees them.

Free of Django so that the enabled file can register them with Horizon's
exception handling (ADD_EXCEPTIONS) while the settings are still loading.
"""


class ApiError(Exception):
    """The API answered with an error, or did not answer at all."""

    def __init__(self, code, title, message):
        super().__init__(message)
        self.code = code
        self.title = title
        self.message = message


class NotFound(ApiError):
    """404: gone, or not the caller's project."""


class Conflict(ApiError):
    """409: another operation runs on the instance, or a duplicate name."""


def from_response(code, body):
    """The exception for an error response (body: decoded JSON or text)."""
    error = body.get('error') if isinstance(body, dict) else None
    if isinstance(error, dict):
        title = error.get('title') or str(code)
        message = error.get('message') or title
    else:
        title = str(code)
        message = (body if isinstance(body, str) and body.strip()
                   else 'The lightsnap API answered %s.' % code)
    cls = {404: NotFound, 409: Conflict}.get(code, ApiError)
    return cls(code, title, message)
