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

"""The ``[lightsnap_api]`` options of lightsnap-scheduler: the service
identity it calls lightsnap-api with."""

import copy

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from nova_lightsnap.conf import keystone

API_GROUP = cfg.OptGroup(
    'lightsnap_api', title='lightsnap-api, as the scheduler reaches it',
    help='The service identity lightsnap-scheduler uses on the REST API. '
         'It needs the admin role: it lists the instances of every '
         'project. With auth_strategy = keystone, the keystoneauth '
         'options below (auth_type, auth_url, username, password, '
         'project_name, ...) give a service user and the endpoint comes '
         'from the catalog (service type lightsnap) unless endpoint_override '
         'is set; with noauth, endpoint_override is the API\'s URL.')

API_OPTS = [
    cfg.StrOpt(
        'auth_strategy', default='noauth',
        choices=[('noauth', 'Send the noauth_* identity headers; '
                            'endpoint_override is the API\'s URL.'),
                 ('keystone', 'Authenticate as the service user of the '
                              'keystoneauth options of this section.')],
        help='How lightsnap-api authenticates: as its own [api] '
             'auth_strategy.'),
    cfg.StrOpt(
        'noauth_project_id', default='service',
        help='noauth: the project sent as X-Project-Id.'),
    cfg.StrOpt(
        'noauth_user_id', default='lightsnap-scheduler',
        help='noauth: the user sent as X-User-Id.'),
    cfg.ListOpt(
        'noauth_roles', default=['admin'],
        help='noauth: the roles sent as X-Roles (admin lists every '
             'project\'s instances).'),
]


def _adapter_opts():
    opts = ks_loading.get_adapter_conf_options(include_deprecated=False)
    cfg.set_defaults(opts, service_type='lightsnap',
                     valid_interfaces=['internal', 'public'])
    return opts


def register_opts(conf):
    conf.register_group(keystone.fresh_group(API_GROUP))
    conf.register_opts(API_OPTS, group=API_GROUP.name)
    ks_loading.register_session_conf_options(conf, API_GROUP.name)
    ks_loading.register_auth_conf_options(conf, API_GROUP.name)
    conf.register_opts(_adapter_opts(), group=API_GROUP)


def list_opts():
    return [(API_GROUP, copy.deepcopy(API_OPTS) +
             keystone.sample_opts(_adapter_opts()))]
