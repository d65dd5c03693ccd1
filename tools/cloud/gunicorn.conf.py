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
