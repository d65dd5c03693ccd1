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

"""The HTTP side of the client: keystoneauth adapters and error mapping.

Both deployments go through a keystoneauth1 Adapter, so retries, TLS,
timeouts and logging are the same: with keystone the session carries a
token and the endpoint comes from the catalog (service type
``lightsnap``) unless overridden; in noauth mode the endpoint is given and
the caller's identity travels in X-Project-Id, X-User-Id and X-Roles.
"""

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from nova_lightsnap.client import exceptions

SERVICE_TYPE = 'lightsnap'
USER_AGENT = 'nova-lightsnap-client'


def keystone_adapter(session, endpoint=None, interface=None,
                     region_name=None, **kwargs):
    """An adapter on an authenticated keystoneauth session."""
    return ks_adapter.Adapter(
        session, service_type=SERVICE_TYPE, interface=interface,
        region_name=region_name, endpoint_override=endpoint,
        user_agent=USER_AGENT, **kwargs)


def noauth_adapter(endpoint, project_id, user_id=None, roles=('member',),
                   session=None, **kwargs):
    """An adapter for an API run with ``[api] auth_strategy = noauth``."""
    if not endpoint:
        raise ValueError('noauth needs the endpoint URL of lightsnap-api')
    if not project_id:
        raise ValueError('noauth needs a project id (the X-Project-Id the '
                         'API scopes every request to)')
    if session is None:
        session = ks_session.Session(auth=noauth.NoAuth(endpoint=endpoint))
    headers = {'X-Project-Id': project_id,
               'X-User-Id': user_id or project_id,
               'X-Roles': ','.join(roles)}
    return ks_adapter.Adapter(
        session, endpoint_override=endpoint, additional_headers=headers,
        user_agent=USER_AGENT, **kwargs)


def token_adapter(endpoint, token, project_id=None, user_id=None, roles=(),
                  verify=True, timeout=None, **kwargs):
    """An adapter for a caller that holds a token already (a dashboard's
    logged-in user, as manila-ui hands its token to manilaclient): the
    token for keystonemiddleware, and the same identity in the headers an
    API in noauth mode trusts."""
    session = ks_session.Session(
        auth=token_endpoint.Token(endpoint, token), verify=verify,
        timeout=timeout)
    headers = {'X-Project-Id': project_id or '',
               'X-User-Id': user_id or '',
               'X-Roles': ','.join(roles)}
    return ks_adapter.Adapter(
        session, endpoint_override=endpoint, additional_headers=headers,
        user_agent=USER_AGENT, **kwargs)


class Http:
    """JSON requests with the API's errors raised as ClientError."""

    def __init__(self, adapter, prefix='/v1'):
        self.adapter = adapter
        self.prefix = prefix

    def request(self, method, path, body=None, params=None):
        # Errors are mapped here, whatever the adapter's own raise_exc.
        kwargs = {'headers': {'Accept': 'application/json'},
                  'raise_exc': False}
        if body is not None:
            kwargs['json'] = body
        if params:
            kwargs['params'] = params
        try:
            resp = self.adapter.request(self.prefix + path, method, **kwargs)
        except ks_exc.ConnectionError as exc:
            raise exceptions.ConnectionFailed(
                'cannot reach lightsnap-api: %s' % exc)
        except ks_exc.EndpointNotFound as exc:
            raise exceptions.ConnectionFailed(
                'no lightsnap endpoint in the service catalog (%s); give '
                'one with --os-lightsnap-endpoint' % exc)
        except ks_exc.Unauthorized as exc:
            # keystone refused the credentials before any request was made.
            raise exceptions.Unauthorized(
                'keystone refused the credentials: %s; check the '
                'OS_* settings or clouds.yaml' % exc)
        except ks_exc.ClientException as exc:
            # Anything else keystoneauth raises while getting a token or
            # the catalog (keystone down or answering 5xx): a client error
            # like the API's own, so that a long-running caller (the daily
            # scheduler) logs it and tries again instead of dying.
            raise exceptions.ConnectionFailed(
                'cannot authenticate with keystone: %s: %s'
                % (type(exc).__name__, exc))
        request_id = resp.headers.get('X-OpenStack-Request-Id')
        try:
            data = resp.json() if resp.content else None
        except ValueError:
            data = resp.text
        if resp.status_code >= 400:
            raise exceptions.from_response(resp.status_code, data, request_id)
        if resp.content and not isinstance(data, dict):
            raise exceptions.ClientError(
                'lightsnap-api answered %s %s with something that is not '
                'a JSON object' % (method, path), status=resp.status_code,
                request_id=request_id)
        return data
