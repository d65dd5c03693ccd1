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

# gunicorn settings shared by the cloud's WSGI services (tools/cloud/cloud).
# Cinder's and Neutron's WSGI entry points parse sys.argv for their
# options, which under gunicorn would be gunicorn's own: give them the
# service's arguments from CLOUD_WSGI_ARGS instead (gunicorn has parsed
# its command line before it reads this file).
import os
import shlex
import sys

sys.argv = [os.environ.get('CLOUD_WSGI_NAME', 'wsgi')] + shlex.split(
    os.environ.get('CLOUD_WSGI_ARGS', ''))

workers = 1
threads = 4
worker_class = 'gthread'
timeout = 300
daemon = True
