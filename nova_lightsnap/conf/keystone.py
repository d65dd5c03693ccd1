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

"""keystoneauth options of a service-user section, shared by the services.

The API service reads one in ``[nova]`` (to look servers up,
:mod:`nova_lightsnap.conf.nova`), the scheduler in ``[lightsnap_api]`` (to
call the API, :mod:`nova_lightsnap.conf.lightsnap_api`).
"""

import copy

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg


def fresh_group(group):
    """A copy of ``group`` for one ConfigOpts.

    ConfigOpts keeps a registered group's options in the group object, so
    a shared one would carry the auth plugin options keystoneauth adds at
    load time (required ones among them) into every other ConfigOpts.
    """
    return cfg.OptGroup(group.name, title=group.title, help=group.help)


def sample_opts(adapter_opts):
    """What the sample shows for such a section: session, auth, the
    password plugin's options (what a service user needs) and the
    adapter's."""
    return [copy.deepcopy(opt) for opt in
            ks_loading.get_session_conf_options() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_auth_plugin_conf_options('password') +
            adapter_opts]
