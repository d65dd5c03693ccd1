"""Loading the configuration of lightsnap-api, for the console script and
the WSGI entry point alike."""

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_messaging import opts as messaging_opts

from nova_lightsnap.api import conf as api_conf

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
    api_conf.register_opts(conf)
    # transport_url and the [oslo_messaging_*] options of the drivers.
    messaging.set_transport_defaults('lightsnap')
    _register_messaging_opts(conf)
    conf(argv, project=PROJECT, prog='lightsnap-api',
         default_config_files=default_config_files)
    logging.setup(conf, PROJECT)
    return conf
