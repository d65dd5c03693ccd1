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

"""WSGI entry point for uwsgi or mod_wsgi:
``nova_lightsnap.api.wsgi:application``.

The configuration file is ``$LIGHTSNAP_API_CONFIG`` (default
``/etc/lightsnap/lightsnap.conf``). The service starts on the first
request, so importing this module has no side effects.
"""

import os
import threading

_LOCK = threading.Lock()
_APPLICATION = None

DEFAULT_CONFIG = '/etc/lightsnap/lightsnap.conf'


def init_application(config_file=None):
    from nova_lightsnap.api import config
    from nova_lightsnap.api import deploy
    from nova_lightsnap.db import api as db_api
    from nova_lightsnap.db import migration
    config_file = config_file or os.environ.get('LIGHTSNAP_API_CONFIG',
                                                DEFAULT_CONFIG)
    conf = config.load([], default_config_files=[config_file])
    migration.check_schema(conf)
    db_api.configure(conf)
    return deploy.loadapp(conf)[0]


def application(environ, start_response):
    global _APPLICATION
    if _APPLICATION is None:
        with _LOCK:
            if _APPLICATION is None:
                _APPLICATION = init_application()
    return _APPLICATION(environ, start_response)
