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

"""oslo.limit reads its ``[oslo_limit]`` options (the endpoint of this
service in keystone, and the service user that reads the limits) from
oslo.config's global ``cfg.CONF`` only, while lightsnap-api keeps its
configuration in a ConfigOpts of its own: the global one is loaded once,
from the same files, the first time the unified limits are used."""

import threading

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_limit import opts as limit_opts

GROUP = 'oslo_limit'
# How oslo.limit finds this service's endpoint; the session, adapter and
# auth options are keystoneauth's.
_ENDPOINT_OPTS = ('endpoint_id', 'endpoint_service_name',
                  'endpoint_service_type', 'endpoint_region_name',
                  'endpoint_interface')

_LOCK = threading.Lock()
_LOADED = []


def register(conf=cfg.CONF):
    """The [oslo_limit] options of oslo.limit, on ``conf`` (idempotent;
    the auth plugin's own options are registered when it is loaded)."""
    conf.register_opts([o for o in limit_opts.list_opts()[0][1]
                        if o.dest in _ENDPOINT_OPTS], group=GROUP)
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_adapter_conf_options(conf, GROUP,
                                             include_deprecated=False)
    ks_loading.register_auth_conf_options(conf, GROUP)


def load(conf):
    """Load the global configuration from ``conf``'s files, once."""
    with _LOCK:
        if _LOADED:
            return
        register()
        cfg.CONF([], project='lightsnap', default_config_files=list(
            conf.config_file or []), default_config_dirs=list(
            conf.config_dir and [conf.config_dir] or []))
        _LOADED.append(True)


def list_opts():
    return limit_opts.list_opts()
