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

# Horizon's local_settings.py in the cloud of ./run cloud: tools/cloud/cloud
# renders it into @STATE@/etc/horizon/ and links it into the virtualenv as
# openstack_dashboard/local/local_settings.py, as an operator installs one.
from horizon.utils import secret_key

DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
OPENSTACK_HOST = '127.0.0.1'
OPENSTACK_KEYSTONE_URL = 'http://127.0.0.1:@KEYSTONE_PORT@/v3'
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
TIME_ZONE = 'UTC'
# Kept in the state directory, not in the installed package.
SECRET_KEY = secret_key.generate_or_read_from_file(
    '@STATE@/horizon/secret_key')
# Sessions in the process's own memory (Horizon's default is memcached,
# which the cloud does not run): gunicorn runs one worker. The first pages
# fill the cache with django-compressor's and Horizon's entries: at the
# default 300 entries the culling dropped the session of the login.
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
    'OPTIONS': {'MAX_ENTRIES': 100000}}}
# gunicorn runs as a daemon, without a terminal for Horizon's console log.
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'plain': {
        'format': ('%(asctime)s %(process)d %(levelname)s %(name)s '
                   '%(message)s')}},
    'handlers': {'file': {'class': 'logging.FileHandler', 'formatter': 'plain',
                          'filename': '@STATE@/log/horizon.log'}},
    'root': {'handlers': ['file'], 'level': 'INFO'},
}
# django-compressor builds Horizon's CSS and JavaScript on the first page
# into STATIC_ROOT, and Django's static files handler serves them (see
# tools/cloud/horizon_wsgi.py): no collectstatic, no offline compress step.
STATIC_ROOT = '@STATE@/horizon/static'
COMPRESS_OFFLINE = False
# neutron-server runs ML2 without agents: no routers, no floating IPs.
OPENSTACK_NEUTRON_NETWORK = {
    'enable_router': False, 'enable_quotas': False, 'enable_ipv6': False,
    'enable_fip_topology_check': False,
}
