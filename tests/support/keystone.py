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

"""A keystone v3 stand-in: just enough identity for Horizon's login.

One user with one project. It issues tokens for the password and token
methods (unscoped, project-scoped), lists the user's projects, validates
and revokes tokens, and hands out a catalog with the identity service
itself and a 'lightsnap' endpoint. Served on loopback by the end-to-end
test; no real keystone runs here.
"""

import datetime
import json
import socketserver
import threading
import uuid
from wsgiref import simple_server

DOMAIN = {'id': 'default', 'name': 'Default'}
REGION = 'RegionOne'


class _Quiet(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _Threading(socketserver.ThreadingMixIn,
                 simple_server.WSGIServer):
    daemon_threads = True


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.000000Z')


class Keystone(object):

    def __init__(self, username, password, project_name, lightsnap_url,
                 roles=('member', 'reader')):
        self.user = {'id': uuid.uuid4().hex, 'name': username,
                     'domain': DOMAIN, 'password_expires_at': None}
        self.password = password
        self.project = {'id': uuid.uuid4().hex, 'name': project_name,
                        'domain_id': DOMAIN['id'], 'enabled': True,
                        'description': '', 'is_domain': False,
                        'parent_id': DOMAIN['id'], 'tags': [],
                        'links': {}}
        self.roles = [{'id': uuid.uuid4().hex, 'name': r} for r in roles]
        self.lightsnap_url = lightsnap_url
        self.tokens = {}
        self.requests = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------ WSGI

    def __call__(self, environ, start_response):
        method = environ['REQUEST_METHOD']
        path = environ.get('PATH_INFO', '/').rstrip('/') or '/'
        base = '%s://%s' % (environ['wsgi.url_scheme'], environ['HTTP_HOST'])
        with self._lock:
            self.requests.append((method, path))
        length = int(environ.get('CONTENT_LENGTH') or 0)
        body = environ['wsgi.input'].read(length) if length else b''
        try:
            status, headers, payload = self._route(
                method, path, base, environ,
                json.loads(body) if body else None)
        except (KeyError, TypeError, ValueError) as exc:
            status, headers, payload = '400 Bad Request', {}, _error(
                400, 'Bad Request', 'malformed request: %s' % exc)
        raw = b'' if payload is None else json.dumps(payload).encode()
        headers = dict(headers)
        headers.setdefault('Content-Type', 'application/json')
        headers['Content-Length'] = str(len(raw))
        start_response(status, list(headers.items()))
        return [raw] if method != 'HEAD' else []

    def _route(self, method, path, base, environ, body):
        if path in ('/', '/v3') and method == 'GET':
            return self._versions(path, base)
        if path == '/v3/auth/tokens':
            if method == 'POST':
                return self._issue(base, body)
            token = self.tokens.get(environ.get('HTTP_X_SUBJECT_TOKEN'))
            caller = self.tokens.get(environ.get('HTTP_X_AUTH_TOKEN'))
            if token is None or caller is None:
                return '404 Not Found', {}, _error(404, 'Not Found',
                                                   'no such token')
            if method == 'DELETE':
                self.tokens.pop(environ['HTTP_X_SUBJECT_TOKEN'], None)
                return '204 No Content', {}, None
            return ('200 OK', {'X-Subject-Token':
                               environ['HTTP_X_SUBJECT_TOKEN']},
                    {'token': token})
        caller = self.tokens.get(environ.get('HTTP_X_AUTH_TOKEN'))
        if caller is None:
            return '401 Unauthorized', {}, _error(401, 'Unauthorized',
                                                  'token required')
        if method == 'GET' and path in (
                '/v3/auth/projects',
                '/v3/users/%s/projects' % self.user['id']):
            return '200 OK', {}, {'projects': [self.project],
                                  'links': {'self': base + path,
                                            'next': None, 'previous': None}}
        if method == 'GET' and path == '/v3/auth/domains':
            return '200 OK', {}, {'domains': [], 'links': {}}
        if method == 'GET' and path == '/v3/auth/system':
            return '200 OK', {}, {'system': [], 'links': {}}
        return '404 Not Found', {}, _error(404, 'Not Found',
                                           '%s %s' % (method, path))

    # --------------------------------------------------------- helpers

    def _versions(self, path, base):
        version = {'id': 'v3.14', 'status': 'stable',
                   'updated': '2020-04-07T00:00:00Z',
                   'links': [{'rel': 'self', 'href': base + '/v3/'}],
                   'media-types': [{
                       'base': 'application/json',
                       'type': 'application/vnd.openstack.identity-v3+json'}]}
        if path == '/v3':
            return '200 OK', {}, {'version': version}
        return '300 Multiple Choices', {}, {'versions': {'values': [version]}}

    def _issue(self, base, body):
        auth = body['auth']
        identity = auth['identity']
        methods = identity['methods']
        if 'password' in methods:
            user = identity['password']['user']
            named = (user.get('id') == self.user['id'] or
                     user.get('name') == self.user['name'])
            if not named or user.get('password') != self.password:
                return '401 Unauthorized', {}, _error(
                    401, 'Unauthorized', 'The request you have made '
                    'requires authentication.')
        elif 'token' in methods:
            if identity['token']['id'] not in self.tokens:
                return '404 Not Found', {}, _error(
                    404, 'Not Found', 'Could not find token.')
        else:
            return '401 Unauthorized', {}, _error(401, 'Unauthorized',
                                                  'unsupported method')
        scope = auth.get('scope')
        if not isinstance(scope, dict):
            scope = None  # keystoneauth says "unscoped" explicitly
        token = {'methods': methods, 'user': self.user,
                 'audit_ids': [uuid.uuid4().hex[:22]],
                 'issued_at': _iso(_now()),
                 'expires_at': _iso(_now() + datetime.timedelta(hours=2))}
        if scope:
            project = scope.get('project')
            if project is None:
                return '401 Unauthorized', {}, _error(
                    401, 'Unauthorized', 'only project scope here')
            if project.get('id') != self.project['id'] and \
                    project.get('name') != self.project['name']:
                return '401 Unauthorized', {}, _error(
                    401, 'Unauthorized', 'no such project')
            token.update(project={'id': self.project['id'],
                                  'name': self.project['name'],
                                  'domain': DOMAIN},
                         roles=self.roles, catalog=self._catalog(base),
                         is_domain=False)
        token_id = uuid.uuid4().hex
        self.tokens[token_id] = token
        return '201 Created', {'X-Subject-Token': token_id}, {'token': token}

    def _catalog(self, base):
        def service(kind, url):
            return {'id': uuid.uuid4().hex, 'type': kind, 'name': kind,
                    'endpoints': [{'id': uuid.uuid4().hex,
                                   'interface': interface, 'region': REGION,
                                   'region_id': REGION, 'url': url}
                                  for interface in ('public', 'internal',
                                                    'admin')]}
        return [service('identity', base + '/v3'),
                service('lightsnap', self.lightsnap_url)]


def _error(code, title, message):
    return {'error': {'code': code, 'title': title, 'message': message}}


def serve(app, host='127.0.0.1'):
    """Serve app on a free loopback port in a daemon thread.

    Returns (server, base_url); server.shutdown() stops it.
    """
    server = simple_server.make_server(host, 0, app, server_class=_Threading,
                                       handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, 'http://%s:%d' % (host, server.server_port)
