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

"""Django settings of the Horizon that the panel's tests run.

Horizon's own test settings, plus the panel's enabled files as an operator
installs them. Installing means copying them into
openstack_dashboard/local/enabled/; the tests must not write into the
installed Horizon, so the enabled package's search path gets the panel's
directory instead, which Horizon's discovery reads the same way.

The end-to-end test serves this through a real HTTP server; it sets
LIGHTSNAP_HORIZON_KEYSTONE_URL and LIGHTSNAP_HORIZON_STATE (a scratch
directory) in the environment.
"""

import os
import socket

import horizon_panel.enabled
import openstack_dashboard.enabled

_PANEL_ENABLED = os.path.dirname(horizon_panel.enabled.__file__)
if _PANEL_ENABLED not in openstack_dashboard.enabled.__path__:
    openstack_dashboard.enabled.__path__.append(_PANEL_ENABLED)

from openstack_dashboard.test import settings as _base  # noqa: E402
from openstack_dashboard import theme_settings  # noqa: E402

# Horizon's test settings set a 1-second default timeout on every socket of
# the process; in a stestr worker that also runs our other tests it broke
# connections that wait longer on purpose (a held libvirt call, RPC).
socket.setdefaulttimeout(None)

# Horizon's test settings, name by name (what a star import would do).
globals().update((k, v) for k, v in vars(_base).items() if k.isupper())

# The panel's actions are offered as the API's policy allows (their
# policy_rules), with the panel's settings snippet as an operator installs
# it; Horizon's own services keep their test settings' (no checks).
POLICY_CHECK_FUNCTION = 'openstack_auth.policy.check'
POLICY_FILES = {}
DEFAULT_POLICY_FILES = {}
_SNIPPET = os.path.join(os.path.dirname(os.path.dirname(_PANEL_ENABLED)),
                        'horizon_panel', 'local_settings.d',
                        '_1920_lightsnap_policy.py')
with open(_SNIPPET) as _f:
    exec(_f.read())

# Django's test case opens the database even though Horizon stores nothing.
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3',
                         'NAME': ':memory:'}}
# Horizon's test logging would replace the handlers of every other logger
# of the test process (nova's, oslo's).
LOGGING = {'version': 1, 'disable_existing_loggers': False}
LOGGING_CONFIG = None

_KEYSTONE = os.environ.get('LIGHTSNAP_HORIZON_KEYSTONE_URL')
if _KEYSTONE:
    _STATE = os.environ['LIGHTSNAP_HORIZON_STATE']
    DEBUG = True
    ROOT_URLCONF = 'openstack_dashboard.urls'
    ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
    OPENSTACK_KEYSTONE_URL = _KEYSTONE
    AVAILABLE_REGIONS = []
    OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
    OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
    STATIC_ROOT = os.path.join(_STATE, 'static')
    COMPRESS_ROOT = STATIC_ROOT
    # Horizon's SCSS compiled on the first page (as a deployment's
    # settings do), so the screenshots show the real look.
    COMPRESS_PRECOMPILERS = (
        ('text/scss', 'horizon.utils.scss_filter.ScssFilter'),)
    STATICFILES_DIRS = theme_settings.get_theme_static_dirs(
        _base.AVAILABLE_THEMES, _base.THEME_COLLECTION_DIR,
        _base.ROOT_PATH) + _base.STATICFILES_DIRS
    COMPRESS_ENABLED = False
    COMPRESS_OFFLINE = False
    SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
    SECRET_KEY = 'lightsnap-e2e-not-secret'
    # Rows in a transitional state refresh every half second, not 2.5 s.
    _base.HORIZON_CONFIG['ajax_poll_interval'] = 500
