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

"""An in-memory double of lightsnap-api's HTTP behaviour, for unit tests of
the client, the OSC commands and the scheduler only.

It answers at the transport level (a requests adapter under keystoneauth),
so the real client code runs: URLs, headers, JSON, status codes. Long
operations advance one step on every GET of their resource, ``steps``
GETs in all, the way the real API moves state and progress.
"""

import datetime
import json
import re
from urllib.parse import parse_qs
import uuid as uuid_mod

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import requests
from requests import adapters

from nova_lightsnap.client import http as http_mod
from nova_lightsnap.client import v1

ENDPOINT = 'http://lightsnap.test:8799'

# What a snapshot becomes when its operation ends; PREVIOUS: as before it
# (a revert or export of a stored snapshot leaves it stored).
PREVIOUS = object()
DONE_STATE = {'creating': 'available', 'reverting': PREVIOUS,
              'exporting': PREVIOUS, 'deleting': None,
              'restoring': 'available'}


class Error(Exception):
    def __init__(self, code, title, message):
        self.code, self.title, self.message = code, title, message


def _not_found(what):
    return Error(404, 'Not Found', '%s not found' % what)


class FakeAPI:

    def __init__(self, now=None, steps=2):
        self.now = now or (lambda: datetime.datetime(
            2026, 11, 22, tzinfo=datetime.timezone.utc))
        self.steps = steps
        self.instances = {}
        self.snapshots = {}     # uuid -> {name: snapshot}
        self.ops = {}           # (uuid, name) -> remaining steps
        self.sets = {}
        self.set_ops = {}
        self.requests = []
        self.urls = []          # as sent, quoting and query included
        self.fail = {}          # op state ('creating', ...) -> message
        self.on_request = None  # hook(method, path) before dispatch

    # -- state ----------------------------------------------------------

    def add_instance(self, project='p1', daily=False, enabled=True,
                     uuid=None):
        uuid = uuid or str(uuid_mod.uuid4())
        self.instances[uuid] = {
            'uuid': uuid, 'project_id': project, 'host': 'h1',
            'enabled': enabled, 'daily': daily, 'store': False,
            'committed': True, 'snapshot_index': 0, 'root_index': 0,
            'snapshot_count': 0, 'last_snapshot_at': None, 'state': 'idle',
            'task': None}
        self.snapshots[uuid] = {}
        return uuid

    def add_snapshot(self, uuid, name, state='available'):
        snap = {'name': name, 'instance_uuid': uuid, 'state': state,
                'progress': 100, 'created_at': self.now().isoformat(),
                'quiesced': False, 'set_id': None, 'size': 0, 'error': None}
        self.snapshots[uuid][name] = snap
        return snap

    def names(self, uuid):
        return sorted(self.snapshots[uuid])

    def _busy(self, uuid):
        return any(k[0] == uuid for k in self.ops)

    def _start(self, uuid, snap, state):
        if self._busy(uuid):
            raise Error(409, 'Conflict', 'another operation runs on '
                                         'instance %s; try again later'
                        % uuid)
        snap['before'] = snap['state']
        snap['state'] = state
        snap['progress'] = 0
        self.ops[(uuid, snap['name'])] = self.steps
        self.instances[uuid]['state'] = 'busy'

    def _advance(self, uuid, name):
        key = (uuid, name)
        if key not in self.ops:
            return
        snap = self.snapshots[uuid][name]
        self.ops[key] -= 1
        left = self.ops[key]
        snap['progress'] = int(100 * (self.steps - left) / self.steps)
        if left > 0:
            return
        del self.ops[key]
        self.instances[uuid]['state'] = 'idle'
        failure = self.fail.pop(snap['state'], None)
        if failure:
            snap['state'], snap['error'] = 'error', failure
        elif DONE_STATE[snap['state']] is None:
            del self.snapshots[uuid][name]
        elif DONE_STATE[snap['state']] is PREVIOUS:
            snap['state'] = snap['before']
        else:
            snap['state'] = DONE_STATE[snap['state']]

    # -- dispatch -------------------------------------------------------

    ROUTES = [
        ('GET', r'/v1/instances', 'list_instances'),
        ('GET', r'/v1/instances/(?P<uuid>[^/]+)', 'get_instance'),
        ('PATCH', r'/v1/instances/(?P<uuid>[^/]+)', 'update_instance'),
        ('POST', r'/v1/instances/(?P<uuid>[^/]+)/snapshots', 'create'),
        ('GET', r'/v1/instances/(?P<uuid>[^/]+)/snapshots', 'list'),
        ('GET', r'/v1/instances/(?P<uuid>[^/]+)/snapshots/(?P<name>[^/]+)',
         'show'),
        ('DELETE',
         r'/v1/instances/(?P<uuid>[^/]+)/snapshots/(?P<name>[^/]+)',
         'delete'),
        ('POST', r'/v1/instances/(?P<uuid>[^/]+)/snapshots/(?P<name>[^/]+)'
                 r'/(?P<action>revert|export)', 'action'),
        ('POST', r'/v1/sets', 'create_set'),
        ('GET', r'/v1/sets', 'list_sets'),
        ('GET', r'/v1/sets/(?P<set_id>[^/]+)', 'get_set'),
        ('POST', r'/v1/sets/(?P<set_id>[^/]+)/restore', 'restore_set'),
        ('DELETE', r'/v1/sets/(?P<set_id>[^/]+)', 'delete_set'),
        ('GET', r'/v1/limits', 'show_limits'),
    ]

    def handle(self, method, path, query, headers, body):
        self.requests.append((method, path, dict(headers), body))
        try:
            if self.on_request:
                self.on_request(method, path)
        except Error as exc:
            return exc.code, {'error': {'code': exc.code,
                                        'title': exc.title,
                                        'message': exc.message}}
        for verb, pattern, handler in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                args = {k: requests.utils.unquote(v)
                        for k, v in match.groupdict().items()}
                ctx = {'project': headers.get('X-Project-Id'),
                       'roles': (headers.get('X-Roles') or '').split(','),
                       'query': query}
                try:
                    return getattr(self, 'h_' + handler)(ctx, body, **args)
                except Error as exc:
                    return exc.code, {'error': {
                        'code': exc.code, 'title': exc.title,
                        'message': exc.message}}
        return 404, {'error': {'code': 404, 'title': 'Not Found',
                               'message': 'no route %s %s' % (method, path)}}

    def h_show_limits(self, ctx, body):
        project = (ctx['query'].get('project_id') or [ctx['project']])[0]
        if project != ctx['project'] and 'admin' not in ctx['roles']:
            raise Error(403, 'Forbidden', 'policy does not allow '
                                          'lightsnap:limits:show')
        count = sum(len(self.snapshots[u]) for u, i in
                    self.instances.items() if i['project_id'] == project)
        return 200, {'limits': {'project_id': project, 'resources': {
            'lightsnap_snapshots': {'limit': 10, 'usage': count},
            'lightsnap_snapshot_megabytes': {'limit': -1, 'usage': 0},
            'lightsnap_snapshots_per_instance': {'limit': 4,
                                                 'usage': None}}}}

    def _instance(self, ctx, uuid):
        inst = self.instances.get(uuid)
        if inst is None or (inst['project_id'] != ctx['project'] and
                            'admin' not in ctx['roles']):
            raise _not_found('instance %s' % uuid)
        inst['snapshot_count'] = len(self.snapshots[uuid])
        return inst

    def _snapshot(self, ctx, uuid, name):
        self._instance(ctx, uuid)
        snap = self.snapshots[uuid].get(name)
        if snap is None:
            raise _not_found('snapshot %s' % name)
        return snap

    def h_list_instances(self, ctx, body):
        if ctx['query'].get('all_projects') == ['1']:
            if 'admin' not in ctx['roles']:
                raise Error(403, 'Forbidden', 'all_projects is admin only')
            found = list(self.instances)
        else:
            found = [u for u, i in self.instances.items()
                     if i['project_id'] == ctx['project']]
        return 200, {'instances': [self._instance(ctx, u) for u in found]}

    def h_get_instance(self, ctx, body, uuid):
        return 200, {'instance': self._instance(ctx, uuid)}

    def h_update_instance(self, ctx, body, uuid):
        inst = self._instance(ctx, uuid)
        unknown = set(body) - {'enabled', 'daily', 'store'}
        if unknown or not body:
            raise Error(400, 'Bad Request', 'unknown fields: %s'
                        % sorted(unknown))
        inst.update(body)
        return 200, {'instance': inst}

    def h_create(self, ctx, body, uuid):
        self._instance(ctx, uuid)
        name = body.get('name') or 'snap-%d' % (len(self.snapshots[uuid]) +
                                                1)
        if name in self.snapshots[uuid]:
            raise Error(409, 'Conflict', 'instance %s already has a '
                                         'snapshot named %s' % (uuid, name))
        snap = {'name': name, 'instance_uuid': uuid, 'state': 'creating',
                'progress': 0, 'created_at': self.now().isoformat(),
                'quiesced': body.get('quiesce') == 'required',
                'set_id': None, 'size': 0, 'error': None}
        self._start(uuid, snap, 'creating')
        self.snapshots[uuid][name] = snap
        return 202, {'snapshot': snap}

    def h_list(self, ctx, body, uuid):
        self._instance(ctx, uuid)
        return 200, {'snapshots': sorted(self.snapshots[uuid].values(),
                                         key=lambda s: s['created_at'])}

    def h_show(self, ctx, body, uuid, name):
        self._snapshot(ctx, uuid, name)
        self._advance(uuid, name)
        return 200, {'snapshot': self._snapshot(ctx, uuid, name)}

    def h_delete(self, ctx, body, uuid, name):
        snap = self._snapshot(ctx, uuid, name)
        self._start(uuid, snap, 'deleting')
        return 202, {'snapshot': snap}

    def h_action(self, ctx, body, uuid, name, action):
        snap = self._snapshot(ctx, uuid, name)
        if action == 'export' and not re.fullmatch(r'[\w.-]+',
                                                   body.get('file', '')):
            raise Error(400, 'Bad Request', 'file must be a plain name')
        self._start(uuid, snap, 'reverting' if action == 'revert'
                    else 'exporting')
        return 202, {'snapshot': snap}

    def h_create_set(self, ctx, body):
        for u in body['instances']:
            self._instance(ctx, u)
        set_id = 'set-%d' % (len(self.sets) + 1)
        self.sets[set_id] = {
            'id': set_id, 'name': body['name'], 'project_id': ctx['project'],
            'state': 'creating', 'instances': body['instances'],
            'created_at': self.now().isoformat(), 'error': None}
        self.set_ops[set_id] = self.steps
        return 202, {'set': self.sets[set_id]}

    def h_list_sets(self, ctx, body):
        return 200, {'sets': list(self.sets.values())}

    def h_get_set(self, ctx, body, set_id):
        if set_id not in self.sets:
            raise _not_found('set %s' % set_id)
        if set_id in self.set_ops:
            self.set_ops[set_id] -= 1
            if self.set_ops[set_id] <= 0:
                del self.set_ops[set_id]
                if self.sets[set_id]['state'] == 'deleting':
                    del self.sets[set_id]
                    raise _not_found('set %s' % set_id)
                self.sets[set_id]['state'] = 'available'
        return 200, {'set': self.sets[set_id]}

    def _set_op(self, set_id, state):
        if set_id not in self.sets:
            raise _not_found('set %s' % set_id)
        self.sets[set_id]['state'] = state
        self.set_ops[set_id] = self.steps
        return 202, {'set': self.sets[set_id]}

    def h_restore_set(self, ctx, body, set_id):
        return self._set_op(set_id, 'restoring')

    def h_delete_set(self, ctx, body, set_id):
        return self._set_op(set_id, 'deleting')


class Transport(adapters.BaseAdapter):
    """requests' transport, answered by a FakeAPI."""

    def __init__(self, api):
        super().__init__()
        self.api = api

    def send(self, request, **kwargs):
        self.api.urls.append(request.url)
        url = requests.utils.urlparse(request.url)
        body = json.loads(request.body) if request.body else None
        status, data = self.api.handle(request.method, url.path,
                                       parse_qs(url.query), request.headers,
                                       body)
        resp = requests.Response()
        resp.status_code = status
        resp._content = json.dumps(data).encode()
        resp.headers['Content-Type'] = 'application/json'
        resp.headers['X-OpenStack-Request-Id'] = 'req-fake'
        resp.request = request
        resp.url = request.url
        return resp

    def close(self):
        pass


def client(api, project='p1', roles=('member',)):
    """A real v1.Client whose HTTP goes to ``api``."""
    http = requests.Session()
    http.mount('http://', Transport(api))
    session = ks_session.Session(auth=noauth.NoAuth(endpoint=ENDPOINT),
                                 session=http)
    return v1.Client(http_mod.noauth_adapter(ENDPOINT, project, roles=roles,
                                             session=session))
