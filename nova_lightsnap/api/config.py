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

"""Loading the configuration of lightsnap-api, for the console script and
the WSGI entry point alike."""

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_messaging import opts as messaging_opts

import nova_lightsnap.conf

PROJECT = 'lightsnap'


def _register_messaging_opts(conf):
    """oslo.messaging reads [oslo_messaging_tracing] and
    [oslo_messaging_metrics] from the transport's ConfigOpts on every call,
    but registers them only on the global cfg.CONF: a service with its own
    ConfigOpts registers every group oslo.messaging lists."""
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    try:
        from oslo_messaging._metrics import client as metrics
        from oslo_messaging._tracing import client as tracing
    except ImportError:  # an oslo.messaging without them
        return
    conf.register_opts(metrics.oslo_messaging_metrics,
                       group='oslo_messaging_metrics')
    conf.register_opts(tracing.oslo_messaging_tracing,
                       group='oslo_messaging_tracing')


def load(argv, default_config_files=None):
    conf = cfg.ConfigOpts()
    logging.register_options(conf)
    nova_lightsnap.conf.register_api_opts(conf)
    # transport_url and the [oslo_messaging_*] options of the drivers.
    messaging.set_transport_defaults('lightsnap')
    _register_messaging_opts(conf)
    conf(argv, project=PROJECT, prog='lightsnap-api',
         default_config_files=default_config_files)
    logging.setup(conf, PROJECT)
    return conf
