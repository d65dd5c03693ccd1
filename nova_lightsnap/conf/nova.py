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

"""The ``[nova]`` options of lightsnap-api: the service user it asks Nova
with (``[api] server_source = nova``)."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from nova_lightsnap.conf import keystone

NOVA_GROUP = cfg.OptGroup(
    'nova', title='Nova',
    help='How lightsnap-api asks Nova who owns an instance and where it '
         'runs (server_source = nova): a service user with keystoneauth '
         'options (auth_type, auth_url, username, password, ...).')


def register_opts(conf):
    conf.register_group(keystone.fresh_group(NOVA_GROUP))
    ks_loading.register_session_conf_options(conf, NOVA_GROUP.name)
    ks_loading.register_auth_conf_options(conf, NOVA_GROUP.name)
    ks_loading.register_adapter_conf_options(conf, NOVA_GROUP.name)


def list_opts():
    return [(NOVA_GROUP, keystone.sample_opts(
        ks_loading.get_adapter_conf_options()))]
