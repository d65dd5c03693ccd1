"""HTTP errors of the API and their JSON body.

Every error leaves the service as
``{"error": {"code": 409, "title": "Conflict", "message": "..."}}``
(see :mod:`nova_lightsnap.api.middleware`).
"""

from http import client as http_client


class APIError(Exception):
    code = 500

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    @property
    def title(self):
        return http_client.responses.get(self.code, 'Error')


class BadRequest(APIError):
    code = 400


class Unauthorized(APIError):
    code = 401


class Forbidden(APIError):
    code = 403


class NotFound(APIError):
    code = 404


class MethodNotAllowed(APIError):
    code = 405

    def __init__(self, message, allowed=()):
        super().__init__(message)
        self.allowed = allowed


class Conflict(APIError):
    code = 409


class RequestEntityTooLarge(APIError):
    code = 413


def too_large(limit):
    """413, from the middleware or from the HTTP server alike."""
    return RequestEntityTooLarge(
        'the request body is larger than %d bytes ([oslo_middleware] '
        'max_request_body_size)' % limit)


class UnsupportedMediaType(APIError):
    code = 415


class ServiceUnavailable(APIError):
    code = 503


# The longest message an error body carries. Messages show only a short
# prefix of a client's values; this is the net under any that does not.
MAX_MESSAGE = 1000


def body(code, message):
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + '...'
    return {'error': {'code': code,
                      'title': http_client.responses.get(code, 'Error'),
                      'message': message}}
