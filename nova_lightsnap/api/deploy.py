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

"""The middleware stack of lightsnap-api, built in one place.

From the outside in: request id (X-OpenStack-Request-Id on every
response), request log, JSON error bodies, the body size limit (before
anything reads a body), the unauthenticated version list, authentication
(keystonemiddleware auth_token, or noauth), the request context, and the
router of plain handler functions.
"""

from oslo_middleware import request_id
import webob.dec

from nova_lightsnap.api.handlers import root
from nova_lightsnap.api import middleware
from nova_lightsnap.api import router
from nova_lightsnap.api import service as service_mod


def _auth(conf, application):
    if conf.api.auth_strategy == 'keystone':
        from keystonemiddleware import auth_token
        return auth_token.AuthProtocol(
            application, {'oslo_config_config': conf,
                          'oslo_config_project': 'lightsnap'})
    return middleware.NoAuth(application)


def deploy(conf, service):
    """The WSGI application of ``service`` (a started or unstarted
    :class:`nova_lightsnap.api.service.Service`)."""
    application = webob.dec.wsgify(router.Router())
    application = middleware.Context(application, service)
    application = _auth(conf, application)
    application = middleware.PublicVersions(
        application, webob.dec.wsgify(root.list_versions))
    application = middleware.BodySizeLimit(application, conf)
    application = middleware.JSONErrors(application)
    application = middleware.RequestLog(application)
    return request_id.RequestId(application)


def loadapp(conf):
    """A started service and its application."""
    service = service_mod.Service(conf)
    service.start()
    return deploy(conf, service), service
