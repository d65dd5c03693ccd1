"""Horizon's WSGI application in the cloud of ./run cloud, with its static
files: gunicorn serves none, so Django's static files handler answers
/static/ from Horizon's finders (the packages' files and what
django-compressor built into STATIC_ROOT). tools/cloud/cloud runs it with
gunicorn --pythonpath tools/cloud horizon_wsgi:application.
"""
from django.contrib.staticfiles import handlers

from openstack_dashboard import wsgi

application = handlers.StaticFilesHandler(wsgi.application)
