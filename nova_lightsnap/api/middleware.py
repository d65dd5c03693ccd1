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

"""The WSGI middlewares of lightsnap-api (assembled in deploy.py)."""

from http import client as http_client
import time
import urllib.parse

from oslo_context import context as oslo_context
from oslo_log import log as logging
from oslo_middleware import sizelimit
import webob
import webob.dec

from nova_lightsnap.api import util
from nova_lightsnap import exception

LOG = logging.getLogger(__name__)


# The longest message an error body carries. Messages show only a short
# prefix of a client's values; this is the net under any that does not.
MAX_MESSAGE = 1000


def error_body(code, message):
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + '...'
    return {'error': {'code': code,
                      'title': http_client.responses.get(code, 'Error'),
                      'message': message}}


def status_of(exc):
    """(HTTP status, message) of an expected error, or None: the service's
    own and the engine's, as a compute raised them over RPC (any engine
    error without a status of its own is a 500 with its message, which
    says what to do)."""
    if isinstance(exc, exception.LightSnapException):
        return exc.code, exc.message
    return None


class JSONErrors(object):
    """Every error leaves as the contract's JSON body, also unexpected
    ones (500, logged with their traceback): the one place where the
    service's and the engine's errors become HTTP statuses."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            return req.get_response(self.application)
        except Exception as exc:
            status = status_of(exc)
            if status is None:
                # The raw path: decoding it may be what failed.
                LOG.exception('%s %r failed', req.method,
                              req.environ.get('PATH_INFO'))
                status = 500, 'internal error; see the log of lightsnap-api'
            resp = util.json_response(status[0], error_body(*status))
            if isinstance(exc, exception.MethodNotAllowed):
                resp.headers['Allow'] = ', '.join(exc.allowed)
            return resp


class BodySizeLimit(object):
    """oslo.middleware's RequestBodySizeLimiter (``[oslo_middleware]
    max_request_body_size``), refusing in the contract's JSON.

    The limiter refuses a Content-Length over the limit before a byte of
    the body is read, and cuts a chunked body at the limit; either way its
    answer is webob's 413 page, made JSON here.
    """

    def __init__(self, application, conf):
        self.conf = conf
        self.limiter = sizelimit.RequestBodySizeLimiter(application, conf)

    @webob.dec.wsgify
    def __call__(self, req):
        # The limiter's refusal, and a cut chunked body (raised in a
        # handler's read, made a response by the first wsgify'd layer).
        resp = req.get_response(self.limiter)
        if (resp.status_int == 413 and
                resp.content_type != 'application/json'):
            raise exception.RequestEntityTooLarge(
                limit=self.conf.oslo_middleware.max_request_body_size)
        return resp


class RequestLog(object):
    """One line per request: method, path, status, time, request id."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        started = time.monotonic()
        status = []

        def record(code, headers, exc_info=None):
            status.append(code)
            return start_response(code, headers, exc_info)

        try:
            return self.application(environ, record)
        finally:
            path = urllib.parse.quote(environ.get('PATH_INFO', ''))
            if environ.get('QUERY_STRING'):
                path += '?' + environ['QUERY_STRING']
            LOG.info('%s "%s %s" status: %s time: %.3f request: %s',
                     environ.get('REMOTE_ADDR', '-'),
                     environ.get('REQUEST_METHOD'), path,
                     status[0].split()[0] if status else '-',
                     time.monotonic() - started,
                     environ.get('openstack.request_id', '-'))


# Keystone's default implied roles: a token of a member also carries
# reader, one of an admin both. The personas' rules (policies.base) name
# the lowest role they need, as Nova's and placement's do.
IMPLIED_ROLES = {'admin': ('manager', 'member', 'reader'),
                 'manager': ('member', 'reader'),
                 'member': ('reader',)}


def with_implied_roles(roles):
    """``roles`` and the roles they imply, as keystone would list them."""
    result = []
    for role in roles:
        role = role.strip()
        if not role:
            continue
        for name in (role,) + IMPLIED_ROLES.get(role.lower(), ()):
            if name.lower() not in (r.lower() for r in result):
                result.append(name)
    return result


class NoAuth(object):
    """Trust the identity headers (embedded mode on a trusted host, and
    tests): X-Project-Id (required), X-User-Id, X-Roles (with the roles
    they imply, as in a keystone token)."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        if not req.headers.get('X-Project-Id'):
            raise exception.NotAuthenticated(
                'no X-Project-Id header (auth_strategy '
                'is noauth: the caller names its '
                'project, user and roles)')
        req.environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        req.headers['X-Roles'] = ','.join(
            with_implied_roles(req.headers.get('X-Roles', '').split(',')))
        return req.get_response(self.application)


class Context(object):
    """The request context from the identity headers (set by auth_token,
    or trusted by NoAuth), and the service's shared state."""

    def __init__(self, application, service):
        self.application = application
        self.service = service

    @webob.dec.wsgify
    def __call__(self, req):
        if req.environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
            raise exception.NotAuthenticated(
                'the request is not authenticated')
        ctx = oslo_context.RequestContext.from_environ(req.environ)
        roles = req.headers.get('X-Roles', '')
        ctx.roles = [r.strip().lower() for r in roles.split(',')
                     if r.strip()]
        ctx.is_admin = 'admin' in ctx.roles
        req.environ['lightsnap.context'] = ctx
        req.environ['lightsnap.service'] = self.service
        req.environ['lightsnap.enforcer'] = self.service.enforcer
        return req.get_response(self.application)


class PublicVersions(object):
    """GET / (the version list) needs no authentication, as in every
    OpenStack API, so clients can discover the service."""

    def __init__(self, application, versions):
        self.application = application
        self.versions = versions

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in ('', '/') and \
                environ.get('REQUEST_METHOD') == 'GET':
            return self.versions(environ, start_response)
        return self.application(environ, start_response)
