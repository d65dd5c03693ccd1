"""``lightsnap-api``: the REST API service on a threaded WSGI server.

::

    lightsnap-api --config-file /etc/lightsnap/lightsnap.conf

Listens on ``[api] bind_host``:``bind_port``; with ``auth_strategy =
noauth`` only on loopback, unless ``noauth_allow_non_loopback``. The
database must be at the newest revision (``lightsnap-manage db sync``).
For uwsgi or mod_wsgi use ``nova_lightsnap.api.wsgi:application``
instead.
"""

import signal
import socketserver
import sys
from wsgiref import simple_server

from oslo_config import cfg
from oslo_log import log as logging

from nova_lightsnap.api import config
from nova_lightsnap.api import deploy
from nova_lightsnap.api import noauth_guard
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import migration

LOG = logging.getLogger(__name__)


class ThreadingWSGIServer(socketserver.ThreadingMixIn,
                          simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(simple_server.WSGIRequestHandler):
    """The request log middleware logs each request; wsgiref's own line
    on stderr would be a second, unformatted copy."""

    def log_message(self, format, *args):
        LOG.debug('wsgiref: ' + format, *args)


def check_schema(conf):
    current = migration.version(conf)
    if current != migration.head():
        raise SystemExit(
            'lightsnap-api: the database %s is at revision %s, this code '
            'needs %s: run "lightsnap-manage --config-file FILE db sync"'
            % (conf.database.connection, current or 'base',
               migration.head()))


def main(argv=None):
    try:
        conf = config.load(sys.argv[1:] if argv is None else argv)
    except cfg.Error as exc:
        print('lightsnap-api: error: configuration: %s' % exc,
              file=sys.stderr)
        return 2
    # Before anything is bound or started: a refused start never listens.
    refused = noauth_guard.refusal(conf)
    if refused:
        LOG.error('%s', refused)
        print(refused, file=sys.stderr)
        return 2
    check_schema(conf)
    db_api.configure(conf)
    application, service = deploy.loadapp(conf)
    server = simple_server.make_server(
        conf.api.bind_host, conf.api.bind_port, application,
        server_class=ThreadingWSGIServer, handler_class=QuietHandler)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    LOG.info('lightsnap-api listening on http://%s:%s (auth %s, %s '
             'compute)', conf.api.bind_host, server.server_port,
             conf.api.auth_strategy,
             'embedded' if conf.api.embedded_compute else 'remote')
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        service.stop()
        db_api.dispose()
    return 0


if __name__ == '__main__':
    sys.exit(main())
