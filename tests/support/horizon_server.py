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

"""Serve a real Horizon, with the panel, on loopback.

    python -m tests.support.horizon_server PORT

The environment names the keystone (LIGHTSNAP_HORIZON_KEYSTONE_URL) and a
scratch directory (LIGHTSNAP_HORIZON_STATE); see horizon_settings.
Static files are served by Django's staticfiles handler (DEBUG), so no
collectstatic runs; what django-compressor compiles (Horizon's SCSS) lands
in STATIC_ROOT, which is served first.
"""

import mimetypes
import os
import socketserver
import sys
from wsgiref import simple_server


class _Threading(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Quiet(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main(argv):
    os.environ.setdefault('DJANGO_SETTINGS_MODULE',
                          'tests.support.horizon_settings')
    from django.contrib.staticfiles import handlers
    from django.core import wsgi

    from django.conf import settings

    django_app = handlers.StaticFilesHandler(wsgi.get_wsgi_application())
    root = os.path.realpath(settings.STATIC_ROOT)

    def application(environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path.startswith(settings.STATIC_URL):
            name = os.path.realpath(os.path.join(
                root, path[len(settings.STATIC_URL):]))
            if name.startswith(root + os.sep) and os.path.isfile(name):
                with open(name, 'rb') as f:
                    data = f.read()
                ctype = mimetypes.guess_type(name)[0] or \
                    'application/octet-stream'
                start_response('200 OK', [('Content-Type', ctype),
                                          ('Content-Length', str(len(data)))])
                return [data]
        return django_app(environ, start_response)

    server = simple_server.make_server('127.0.0.1', int(argv[0]),
                                       application, server_class=_Threading,
                                       handler_class=_Quiet)
    print('horizon listening on http://127.0.0.1:%d' % server.server_port,
          flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main(sys.argv[1:])
