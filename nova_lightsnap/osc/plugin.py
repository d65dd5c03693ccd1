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

"""OpenStackClient plugin: ``openstack light ...`` on the lightsnap API.

With keystone the client uses OSC's authenticated session and finds the
``lightsnap`` endpoint in the catalog (``--os-lightsnap-endpoint``
overrides it). Against an API run with ``auth_strategy = noauth`` use::

    openstack --os-auth-type none --os-lightsnap-endpoint URL \\
        --os-lightsnap-project-id PROJECT [--os-lightsnap-user-id USER] \\
        [--os-lightsnap-roles admin] light ...

where the project, user and roles travel as X-Project-Id, X-User-Id and
X-Roles. They have options of their own because openstack.config hands
--os-project-id and --os-user-id to keystoneauth's ``none`` plugin, which
refuses them (TypeError: unexpected keyword argument 'project_id').
"""

import logging

from osc_lib import exceptions as osc_exc
from osc_lib import utils

from nova_lightsnap.client import http

LOG = logging.getLogger(__name__)

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_lightsnap_api_version'
API_NAME = 'light'
API_VERSIONS = {'1': 'nova_lightsnap.client.v1.Client'}


def _option(instance, name):
    """A plugin option, whether openstack.config kept it in its config
    (without the os_ prefix) or only on the parsed arguments."""
    config = instance._cli_options.config
    value = config.get(name)
    if value is None:
        value = config.get('os_' + name)
    return value


def _identity(instance, name):
    """--os-lightsnap-<name>, else --os-<name> should a later
    openstack.config let the ``none`` plugin carry it."""
    auth = instance._cli_options.auth or {}
    return _option(instance, 'lightsnap_' + name) or auth.get(name)


def make_client(instance):
    version = instance._api_version[API_NAME]
    if version not in API_VERSIONS:
        raise osc_exc.UnsupportedVersion(
            'lightsnap API version %s is not supported; known: %s'
            % (version, ', '.join(sorted(API_VERSIONS))))
    client_class = utils.get_client_class(API_NAME, version, API_VERSIONS)
    endpoint = _option(instance, 'lightsnap_endpoint')
    if instance._cli_options.config.get('auth_type') == 'none':
        if not endpoint:
            raise osc_exc.CommandError(
                'with --os-auth-type none give the API with '
                '--os-lightsnap-endpoint URL (or OS_LIGHTSNAP_ENDPOINT)')
        project_id = _identity(instance, 'project_id')
        if not project_id:
            raise osc_exc.CommandError(
                'with --os-auth-type none give the project with '
                '--os-lightsnap-project-id (sent as X-Project-Id)')
        roles = [r.strip() for r in
                 (_option(instance, 'lightsnap_roles') or 'member').split(',')
                 if r.strip()]
        adapter = http.noauth_adapter(
            endpoint, project_id, user_id=_identity(instance, 'user_id'),
            roles=roles, session=instance.session)
    else:
        adapter = http.keystone_adapter(
            instance.session, endpoint=endpoint,
            interface=instance.interface, region_name=instance.region_name)
    LOG.debug('lightsnap client %s, endpoint %s', version,
              endpoint or '(from the catalog)')
    return client_class(adapter)


def build_option_parser(parser):
    parser.add_argument(
        '--os-lightsnap-api-version', metavar='<version>',
        default=utils.env('OS_LIGHTSNAP_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='lightsnap API version, default=%s (Env: '
             'OS_LIGHTSNAP_API_VERSION)' % DEFAULT_API_VERSION)
    parser.add_argument(
        '--os-lightsnap-endpoint', metavar='<url>',
        default=utils.env('OS_LIGHTSNAP_ENDPOINT'),
        help='URL of lightsnap-api (its root, e.g. http://host:8799), '
             'instead of the "lightsnap" endpoint of the service catalog. '
             'Required with --os-auth-type none, the noauth mode of the '
             'API, together with --os-lightsnap-project-id '
             '(Env: OS_LIGHTSNAP_ENDPOINT)')
    parser.add_argument(
        '--os-lightsnap-project-id', metavar='<project-id>',
        default=utils.env('OS_LIGHTSNAP_PROJECT_ID'),
        help='With --os-auth-type none only: the project, sent as '
             'X-Project-Id (Env: OS_LIGHTSNAP_PROJECT_ID)')
    parser.add_argument(
        '--os-lightsnap-user-id', metavar='<user-id>',
        default=utils.env('OS_LIGHTSNAP_USER_ID'),
        help='With --os-auth-type none only: the user, sent as X-User-Id '
             '(default: the project id) (Env: OS_LIGHTSNAP_USER_ID)')
    parser.add_argument(
        '--os-lightsnap-roles', metavar='<role,role>',
        default=utils.env('OS_LIGHTSNAP_ROLES', default='member'),
        help='With --os-auth-type none only: the roles sent as X-Roles, '
             'default member (Env: OS_LIGHTSNAP_ROLES)')
    return parser
