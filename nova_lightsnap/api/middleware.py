"""The WSGI middlewares of lightsnap-api (assembled in deploy.py)."""

import time
import urllib.parse

from oslo_context import context as oslo_context
from oslo_log import log as logging
from oslo_middleware import sizelimit
import webob
import webob.dec

from nova_lightsnap.api import errors
from nova_lightsnap.api import util

LOG = logging.getLogger(__name__)


class JSONErrors(object):
    """Every error leaves as the contract's JSON body, also unexpected
    ones (500, logged with their traceback)."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            return req.get_response(self.application)
        except errors.APIError as exc:
            resp = util.json_response(exc.code,
                                      errors.body(exc.code, exc.message))
            if isinstance(exc, errors.MethodNotAllowed):
                resp.headers['Allow'] = ', '.join(exc.allowed)
            return resp
        except Exception:
            # The raw path: decoding it may be what failed.
            LOG.exception('%s %r failed', req.method,
                          req.environ.get('PATH_INFO'))
            return util.json_response(500, errors.body(
                500, 'internal error; see the log of lightsnap-api'))


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
            raise errors.too_large(
                self.conf.oslo_middleware.max_request_body_size)
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


class NoAuth(object):
    """Trust the identity headers (embedded mode on a trusted host, and
    tests): X-Project-Id (required), X-User-Id, X-Roles."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        if not req.headers.get('X-Project-Id'):
            raise errors.Unauthorized('no X-Project-Id header (auth_strategy '
                                      'is noauth: the caller names its '
                                      'project, user and roles)')
        req.environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
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
            raise errors.Unauthorized('the request is not authenticated')
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
