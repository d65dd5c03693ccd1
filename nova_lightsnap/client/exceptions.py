#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Errors of the lightsnap REST API, as the client raises them.

The API answers every failure with
``{"error": {"code": 409, "title": "Conflict", "message": "..."}}``; the
message is what the user must read (it says what to do), so it is kept
whole in ``.message`` and is the ``str()`` of the exception.
"""

from nova_lightsnap import exception


class ClientError(exception.LightSnapException):
    """A request the API refused or could not serve.

    ``status`` (also ``code``) is the HTTP status (None when no answer
    arrived), ``message`` the API's own message, ``request_id`` its
    X-OpenStack-Request-Id (for the operator's logs). Each status has its
    class, which is also the service's own (``client.NotFound`` is an
    ``exception.NotFound``), so one ``except`` serves both sides.
    """

    status = None

    def __init__(self, message, status=None, request_id=None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.request_id = request_id

    @property
    def code(self):
        return self.status


class BadRequest(ClientError, exception.Invalid):
    status = 400


class Unauthorized(ClientError, exception.NotAuthenticated):
    status = 401


class Forbidden(ClientError, exception.Forbidden):
    status = 403


class NotFound(ClientError, exception.NotFound):
    status = 404


class Conflict(ClientError, exception.Conflict):
    status = 409


class ServiceUnavailable(ClientError, exception.ServiceUnavailable):
    status = 503


class ConnectionFailed(ClientError, exception.ServiceUnavailable):
    """No HTTP answer at all (refused, timed out, DNS)."""

    status = None


class OperationFailed(ClientError):
    """A 202 operation ended in state ``error``; message is its error."""


class WaitTimeout(ClientError):
    """A 202 operation did not end within the time the caller allowed."""


_BY_STATUS = {cls.status: cls for cls in (BadRequest, Unauthorized, Forbidden,
                                          NotFound, Conflict,
                                          ServiceUnavailable)}


def from_response(status, body, request_id=None):
    """The exception for an error answer; ``body`` is its parsed JSON or
    its text when it was not JSON (a proxy's page, for instance)."""
    message = None
    if isinstance(body, dict):
        err = body.get('error')
        if isinstance(err, dict):
            message = err.get('message') or err.get('title')
        elif isinstance(err, str):
            message = err
    if not message:
        text = body if isinstance(body, str) else ''
        message = text.strip()[:500] or 'HTTP %d' % status
    cls = _BY_STATUS.get(status, ClientError)
    return cls(message, status=status, request_id=request_id)
