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

"""The errors of the lightsnap service, its database and its client.

One family, in Nova's and placement's ``msg_fmt`` style: a class names
what went wrong and the HTTP status it stands for (``code``); its message
is ``msg_fmt % kwargs`` unless the raiser gives one whole. The API maps
them to HTTP in one place (``nova_lightsnap.api.middleware.JSONErrors``),
the client raises the same classes from the API's answers, and the panel
shows their messages.

The engine's errors are members too (``EngineError`` and below, which
the engine knows by its own names in ``nova_lightsnap.engine.errors``): a
compute raises them over RPC, the API rebuilds them as their classes
(``nova_lightsnap.rpc.ALLOWED_EXMODS``) and maps them by ``code`` like the
others; the ``lightsnap`` command exits with their ``exit_code``.

Free of the engine, Nova and Django.
"""

from http import client as http_client

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class LightSnapException(Exception):
    """Base class: ``code`` is the HTTP status, ``message`` the text a
    user reads (it says what to do)."""

    msg_fmt = 'An unknown error occurred.'
    code = 500

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if not message:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                # A wrong format must not hide the error it reports.
                LOG.exception('cannot format %s with %s',
                              type(self).__name__, kwargs)
                message = self.msg_fmt
        self.message = message
        super().__init__(message)

    @property
    def title(self):
        return http_client.responses.get(self.code, 'Error')

    def __str__(self):
        return self.message


class Invalid(LightSnapException):
    msg_fmt = 'The request is not valid.'
    code = 400


class NotAuthenticated(LightSnapException):
    msg_fmt = 'The request is not authenticated.'
    code = 401


class Forbidden(LightSnapException):
    msg_fmt = 'Not allowed.'
    code = 403


class PolicyNotAuthorized(Forbidden):
    msg_fmt = 'policy does not allow %(action)s'


class QuotaExceeded(Forbidden):
    """A create would take a project (or an instance) over a limit."""

    msg_fmt = ('quota exceeded for %(resource)s: limit %(limit)d, usage '
               '%(usage)d, requested %(requested)d')


class NotFound(LightSnapException):
    msg_fmt = 'Not found.'
    code = 404


class MethodNotAllowed(LightSnapException):
    code = 405

    def __init__(self, message=None, allowed=(), **kwargs):
        super().__init__(message, **kwargs)
        self.allowed = allowed


class Conflict(LightSnapException):
    msg_fmt = 'The request conflicts with the state of the resource.'
    code = 409


class Duplicate(Conflict):
    """A record of that name or id exists already."""


class InstanceBusy(Conflict):
    msg_fmt = ('another operation is running on instance %(uuid)s; wait for '
               'it to end and try again')


class RequestEntityTooLarge(LightSnapException):
    msg_fmt = ('the request body is larger than %(limit)d bytes '
               '([oslo_middleware] max_request_body_size)')
    code = 413


class UnsupportedMediaType(LightSnapException):
    code = 415


class ServiceUnavailable(LightSnapException):
    msg_fmt = 'The service is unavailable; try again later.'
    code = 503


class ComputeTimeout(ServiceUnavailable):
    msg_fmt = ('compute host %(host)s did not answer within %(timeout)d '
               'seconds; nothing was changed here, retry once the compute '
               'service runs')


class ComputeUnreachable(ServiceUnavailable):
    msg_fmt = 'compute host %(host)s could not be reached: %(reason)s'


class NotConfigured(LightSnapException):
    """A part of the service was used before it was set up."""


# The engine's errors: what a light-snapshot operation on a domain raises,
# on a compute host (over RPC to the API) or in the lightsnap command. Each
# message says what to do about it. They stay apart from the service's own
# classes above (an EngineNotFound is not a NotFound) so that the API can
# tell a compute's answer from its own refusals.

class EngineError(LightSnapException):
    """Base class of the engine's errors; the lightsnap command prints the
    message and exits with ``exit_code``."""

    msg_fmt = 'The light-snapshot operation failed.'
    exit_code = 1


class InvalidInput(EngineError):
    code = 400
    exit_code = 2


class EngineNotFound(EngineError):
    code = 404
    exit_code = 3


class Busy(EngineError):
    code = 409
    exit_code = 4


class Unsupported(EngineError):
    code = 400
    exit_code = 5


class QuiesceFailed(EngineError):
    pass


class BlockJobFailed(EngineError):
    """``unchanged``: the disk was seen as it was before the job (a
    journal of the job can go); otherwise how it ended is not known."""

    def __init__(self, message=None, unchanged=True):
        super().__init__(message)
        self.unchanged = unchanged


class ChainMismatch(EngineError):
    """The disks are not where the metadata says; nothing is touched."""

    code = 409


class InvalidState(EngineError):
    """The domain is in a state that forbids the operation (suspended,
    rescued, light snapshots not enabled); the message says what to do."""

    code = 409
    exit_code = 4
