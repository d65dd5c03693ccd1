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

"""``lightsnap-api``: the REST API service on a bounded HTTP server
(:mod:`nova_lightsnap.api.http_server`).

::

    lightsnap-api --config-file /etc/lightsnap/lightsnap.conf

Listens on ``[api] bind_host``:``bind_port``; with ``auth_strategy =
noauth`` only on loopback, unless ``noauth_allow_non_loopback``. The
database must be at the newest revision (``lightsnap-manage db sync``).
For uwsgi or mod_wsgi use ``nova_lightsnap.api.wsgi:application``
instead.
"""

import signal
import sys

from oslo_config import cfg
from oslo_log import log as logging

from nova_lightsnap.api import config
from nova_lightsnap.api import deploy
from nova_lightsnap.api import http_server
from nova_lightsnap.api import noauth_guard
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import migration

LOG = logging.getLogger(__name__)


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
    migration.check_schema(conf)
    db_api.configure(conf)
    application, service = deploy.loadapp(conf)
    server = http_server.make_server(conf, application)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    for host, port in http_server.addresses(server):
        LOG.info('lightsnap-api listening on http://%s:%s (auth %s, %s '
                 'compute)', host, port, conf.api.auth_strategy,
                 'embedded' if conf.api.embedded_compute else 'remote')
    try:
        # waitress ends its loop on KeyboardInterrupt and stops its
        # workers.
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        service.stop()
        db_api.dispose()
    return 0


if __name__ == '__main__':
    sys.exit(main())
