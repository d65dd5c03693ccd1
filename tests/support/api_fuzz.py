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

"""Requests for lightsnap-api generated from its own routes and JSON
schemas (nova_lightsnap.api.router and .schemas), as hypothesis
strategies.

hypothesis-jsonschema does not run with the hypothesis of this project
(it uses internals that hypothesis removed), so the strategies for the
subset of JSON Schema that the API uses are written here: what a schema
accepts, and what breaks it (wrong types, unknown or missing fields,
hostile strings, non-objects, bodies that are not JSON at all).
"""

import functools
import http.client
import json
import string
import types
import urllib.parse

from hypothesis import strategies as st

from nova_lightsnap import names

METHODS = ('GET', 'PATCH', 'POST', 'DELETE')


@functools.lru_cache()
def api():
    """The API's routes and the body schema of each handler.

    Imported on first use, not with this module: the handlers pull in
    oslo.messaging, which imports eventlet if it can, and Nova's
    functional test modules refuse to load once eventlet is imported.
    """
    from nova_lightsnap.api.handlers import instance
    from nova_lightsnap.api.handlers import snapshot
    from nova_lightsnap.api.handlers import snapshot_set
    from nova_lightsnap.api import router
    from nova_lightsnap.api import schemas

    # The body each handler validates; a GET ignores its body.
    bodies = {
        instance.update_instance: schemas.INSTANCE_UPDATE,
        instance.commit_all: schemas.EMPTY,
        snapshot.create: schemas.SNAPSHOT_CREATE,
        snapshot.delete: schemas.EMPTY,
        snapshot.revert: schemas.EMPTY,
        snapshot.export: schemas.SNAPSHOT_EXPORT,
        snapshot_set.create: schemas.SET_CREATE,
        snapshot_set.restore: schemas.EMPTY,
        snapshot_set.delete: schemas.EMPTY,
    }
    routes = sorted(router.ROUTE_DECLARATIONS.items())
    allowed = [(t, m) for t, methods in routes for m in sorted(methods)]
    return types.SimpleNamespace(
        declarations=router.ROUTE_DECLARATIONS,
        bodies=bodies,
        # Mostly the methods a route has; now and then one it has not.
        route_methods=st.integers(0, 9).flatmap(
            lambda n: st.sampled_from(allowed) if n else st.sampled_from(
                [(t, m) for t, _ in routes for m in METHODS])),
        writes=[(t, m) for t, m in allowed if m != 'GET'])


# Strings no name or file name may be: each is refused by the schema or
# by nova_lightsnap.names.
HOSTILE_STRINGS = [
    '', '.', '..', '../x', '../../etc/passwd', '/etc/passwd', 'a/b',
    '%2e%2e', '%2F', '..%2Fkeep', 'a..b', '.hidden', '-dash', ' lead',
    'tab\there', 'new\nline', 'nul\x00byte', '\x00', 'keep\x00',
    'caf\u00e9', '\u202eevil', '\U0001f600', '\ud7ff', 'C:\\x',
    '${HOME}', '$(reboot)', '`id`', 'a' * 65, 'x' * 300, 'y' * 20000,
    'snap;rm -rf', '*', '?', '<xml/>', 'file:///etc/passwd',
]

# Path segments, already in URL form, that name no resource.
HOSTILE_SEGMENTS = [
    '', '..', '.', '%2e%2e', '%2E%2E', '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..%2Fkeep', '%2Fetc%2Fpasswd', 'a%2Fb', '%00', 'keep%00', '%0A',
    '%20', '%25', '%252e%252e', '%C3%A9', '%FF', '%FF%FE', '%C0%AE',
    '%E2%80%AE', '%F0%9F%98%80', 'a' * 5000, '9' * 400, '-1', '0',
    '%2B1', '1e3', '0x1', '%201', '1%20', '1.0', '%EF%BC%91', 'null',
    'undefined', '%7B%7D', '*', '~', '%3F', '%23', 'NaN',
]

_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=20))
JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) |
    st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)

_OF_TYPE = {
    'boolean': st.booleans(),
    'string': st.text(max_size=20),
    'array': st.lists(_JSON_SCALARS, max_size=3),
    'object': st.dictionaries(st.text(max_size=8), _JSON_SCALARS,
                              max_size=3),
}
_OTHER_TYPES = {
    'boolean': st.one_of(st.none(), st.integers(), st.text(max_size=8),
                         st.lists(st.booleans(), max_size=2),
                         st.sampled_from(['true', 'false', 0, 1])),
    'string': st.one_of(st.none(), st.booleans(), st.integers(),
                        st.floats(allow_nan=False),
                        st.lists(st.text(max_size=5), max_size=2),
                        st.dictionaries(st.text(max_size=5),
                                        st.text(max_size=5), max_size=2)),
    'array': st.one_of(st.none(), st.booleans(), st.integers(),
                       st.text(max_size=40),
                       st.dictionaries(st.text(max_size=5),
                                       st.text(max_size=5), max_size=2)),
}

# Bodies that are not a JSON object at all.
RAW_BODIES = st.sampled_from([
    b'{"name": ', b'{', b'}', b'[', b'nul', b'{"a": 1}{', b'\xff\xfe\x00',
    b'\x00' * 16, b'{"name": "\xff"}', b'\xef\xbb\xbf{}',
    b'{"name": "a", "name": "b"}', b'[' * 5000 + b']' * 5000,
    b'{"a":' * 3000 + b'1' + b'}' * 3000, b'1e999999', b'-', b'"',
    b'{"quiesce": NaN}', b'{"name": Infinity}', b' ' * 4096 + b'x',
    b'name=x&quiesce=off', b'<xml/>',
])
CONTENT_TYPES = st.sampled_from([
    'application/json', 'text/plain', 'application/x-www-form-urlencoded',
    'application/json; charset=latin-1', 'multipart/form-data', None])


def valid(schema, overrides=None):
    """Instances of ``schema``; ``overrides`` maps a property name to the
    strategy of its value (e.g. names the API will take)."""
    overrides = overrides or {}
    kind = schema.get('type')
    if 'enum' in schema:
        return st.sampled_from(schema['enum'])
    if kind == 'boolean':
        return st.booleans()
    if kind == 'string':
        if 'pattern' in schema:
            return st.from_regex(schema['pattern'], fullmatch=True)
        return st.text(min_size=schema.get('minLength', 0),
                       max_size=min(schema.get('maxLength', 64), 64))
    if kind == 'array':
        return st.lists(valid(schema['items']),
                        min_size=schema.get('minItems', 0),
                        max_size=min(schema.get('maxItems', 4), 4),
                        unique=schema.get('uniqueItems', False))
    if kind == 'object':
        props = schema.get('properties', {})
        required = schema.get('required', [])

        def of(name):
            if name in overrides:
                return overrides[name]
            return valid(props[name], overrides)
        return st.fixed_dictionaries(
            {k: of(k) for k in required},
            optional={k: of(k) for k in props if k not in required},
        ).filter(lambda d: len(d) >= schema.get('minProperties', 0))
    raise ValueError('schema type %r is not generated' % kind)


def _hostile_for(prop):
    """Values of property ``prop`` that its schema or the name checks
    refuse."""
    kind = prop.get('type')
    if kind == 'string':
        return st.sampled_from(HOSTILE_STRINGS) | _OTHER_TYPES['string']
    if kind == 'array':
        item = prop['items']
        return st.one_of(
            _OTHER_TYPES['array'],
            st.just([]),
            st.lists(st.sampled_from(HOSTILE_STRINGS), min_size=1,
                     max_size=3),
            valid(item).map(lambda u: [u, u]),
            st.lists(valid(item), min_size=prop.get('maxItems', 64) + 1,
                     max_size=prop.get('maxItems', 64) + 1, unique=True))
    return _OTHER_TYPES[kind]


@st.composite
def breaking(draw, schema, overrides=None):
    """A JSON value that ``schema`` (or the API's name checks) refuses."""
    props = schema.get('properties', {})
    required = schema.get('required', [])
    base = draw(valid(schema, overrides))
    ways = ['not-object', 'unknown-field']
    if props:
        ways.append('bad-value')
    if required:
        ways.append('missing-required')
    if schema.get('minProperties'):
        ways.append('empty')
    way = draw(st.sampled_from(ways))
    if way == 'not-object':
        return way, draw(st.one_of(
            st.lists(JSON_VALUES, max_size=3), _JSON_SCALARS,
            st.just([base])))
    if way == 'unknown-field':
        key = draw(st.one_of(
            st.sampled_from(['force', 'project_id', 'id', 'Name', 'name ',
                             '__proto__', '', '\x00', 'state', 'host']),
            st.text(max_size=12)).filter(lambda k: k not in props))
        return way, dict(base, **{key: draw(JSON_VALUES)})
    if way == 'bad-value':
        key = draw(st.sampled_from(sorted(props)))
        return way, dict(base, **{key: draw(_hostile_for(props[key]))})
    if way == 'missing-required':
        key = draw(st.sampled_from(required))
        return way, {k: v for k, v in base.items() if k != key}
    return way, {}


def segment_of(text):
    return urllib.parse.quote(text, safe='')


def _not_a_name(text):
    return not (names._NAME.fullmatch(text) and '..' not in text)


HOSTILE_PATH = st.one_of(
    st.sampled_from(HOSTILE_SEGMENTS),
    st.text(min_size=1, max_size=40).filter(_not_a_name).map(segment_of))


def near_miss(good):
    """``good`` (an existing uuid, name or id) spelt almost right. Not
    ``good`` percent-encoded, nor with a "/" after it: the server decodes
    the path, so those name the same resource."""
    return st.sampled_from([
        good + '%0A', good + '%00', good + '%20', '%20' + good, good + '.',
        good.upper(), good[:-1], good + good[-1:],
        '%2B' + good, '0' + good, good + '%2F..', good + '%C2%A0']).filter(
            lambda s: s != good)


class World(object):
    """The resources of the running API that requests point at:
    ``uuids`` and ``sets`` by project, ``names`` of existing snapshots
    (the same on every instance)."""

    def __init__(self, uuids, sets, names):
        self.uuids = uuids
        self.sets = sets
        self.names = names
        self.projects = sorted(uuids)

    def other(self, project):
        return [p for p in self.projects if p != project][0]


def _params(template):
    return [p for p in ('uuid', 'name', 'set_id')
            if '{%s}' % p in template]


def _good(world, project, param, draw):
    if param == 'uuid':
        return world.uuids[project]
    if param == 'set_id':
        return str(world.sets[project])
    return draw(st.sampled_from(world.names))


@st.composite
def refused(draw, world):
    """One request that must not change anything: a read, or a write
    with at least one fault (its body, its path, a resource of another
    project or none, a method the route does not have).

    Returns a dict: method, template, path, body (JSON value or None),
    raw (bytes or None), content_type, project, roles, fault, owner
    (whose resource the path or body names).
    """
    template, method = draw(api().route_methods)
    methods = api().declarations[template]
    project = draw(st.sampled_from(world.projects))
    roles = draw(st.sampled_from(['member', 'admin']))
    params = _params(template)
    handler = methods.get(method)
    schema = api().bodies.get(handler)
    if handler is None:
        faults = ['method']
    elif method == 'GET':
        faults = ['read']
    else:
        faults = ['bad-body', 'raw-body']
        if params or template == '/v1/sets':
            faults += ['foreign', 'missing']
        if params:
            faults.append('bad-path')
    fault = draw(st.sampled_from(faults))
    owner = project
    if fault in ('foreign',) or (fault in ('read', 'method') and params and
                                 draw(st.booleans())):
        owner = world.other(project)
        if fault == 'foreign':
            roles = 'member'
    values = {p: _good(world, owner, p, draw) for p in params}
    if params and (fault == 'bad-path' or
                   (fault in ('read', 'method') and draw(st.booleans()))):
        which = draw(st.sampled_from(params))
        values[which] = draw(HOSTILE_PATH | near_miss(values[which]))
        if which != 'name':
            owner = None  # the path no longer names anyone's resource
    if fault == 'missing' and params:
        which = draw(st.sampled_from(params))
        values[which] = draw({
            'uuid': st.uuids().map(str),
            'set_id': st.integers(10 ** 5, 10 ** 9).map(str),
            'name': st.from_regex(r'\Anosuch-[a-z0-9]{1,8}\Z')}[which])
    overrides = _overrides(world, owner or project)
    if fault == 'missing' and not params:
        overrides['instances'] = st.uuids().map(lambda u: [str(u)])
    body = raw = None
    content_type = 'application/json'
    if fault == 'bad-body':
        kind, body = draw(breaking(schema, overrides))
        fault = 'bad-body:' + kind
        if body is None:
            raw = b'null'  # None is no body at all
    elif fault == 'raw-body':
        raw = draw(RAW_BODIES)
        content_type = draw(CONTENT_TYPES)
    elif schema is not None:
        body = draw(valid(schema, overrides))
    elif method != 'GET' and draw(st.booleans()):
        body = draw(JSON_VALUES)
    return {'method': method, 'template': template,
            'path': template.format(**values), 'body': body, 'raw': raw,
            'content_type': content_type, 'project': project,
            'roles': roles, 'fault': fault, 'owner': owner,
            'targets_resource': owner is not None and bool(params) or (
                template == '/v1/sets' and method == 'POST')}


def _overrides(world, owner):
    """Values the API takes: good names, existing instances."""
    return {
        'name': st.from_regex(r'\Afz[a-z0-9]{0,10}\Z'),
        'file': st.from_regex(r'\A[a-z][a-z0-9_]{0,12}\.qcow2\Z'),
        'instances': st.just([world.uuids[owner]]),
        'quiesce': st.just('off'),
    }


def send(port, method, path, project, roles, body=None, raw=None,
         content_type='application/json'):
    """One HTTP request; (status, headers, raw response body)."""
    headers = {'X-Project-Id': project, 'X-User-Id': 'fuzzer',
               'X-Roles': roles}
    data = raw
    if body is not None:
        data = json.dumps(body).encode('utf-8')
    if data is not None and content_type:
        headers['Content-Type'] = content_type
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def printable(text, limit=80):
    text = ''.join(c if c in string.printable and c not in '\r\n\t\x0b\x0c'
                   else '\\x%02x' % ord(c) if ord(c) < 256 else
                   '\\u%04x' % ord(c) for c in text)
    return text if len(text) <= limit else text[:limit] + '...'


@st.composite
def accepted(draw, world):
    """One valid write on the caller's own resources, with a body from
    the route's schema: the API takes it (or refuses it by policy or
    because of the instance's state)."""
    template, method = draw(st.sampled_from(api().writes))
    project = draw(st.sampled_from(world.projects))
    roles = draw(st.sampled_from(['member', 'admin']))
    values = {'uuid': world.uuids[project],
              'set_id': str(world.sets[project]), 'name': 'keep'}
    schema = api().bodies[api().declarations[template][method]]
    overrides = dict(_overrides(world, project), store=st.just(False))
    body = draw(valid(schema, overrides))
    return {'method': method, 'template': template,
            'path': template.format(**values), 'body': body, 'raw': None,
            'content_type': 'application/json', 'project': project,
            'roles': roles, 'fault': 'valid', 'owner': project,
            'name': values['name'], 'targets_resource': True}
