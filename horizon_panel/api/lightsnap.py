"""The lightsnap REST API, called with the logged-in user's token.

Every function takes the Django request first (manila-ui's style) and
returns APIDictWrapper objects, so tables read fields as attributes.
"""

import json
import logging
from urllib import parse

from django.conf import settings
from openstack_dashboard.api import base
import requests

from horizon_panel import exceptions as ls_exc

LOG = logging.getLogger(__name__)

SERVICE_TYPE = 'lightsnap'


class Instance(base.APIDictWrapper):
    _attrs = ('uuid', 'project_id', 'host', 'enabled', 'daily', 'store',
              'committed', 'snapshot_index', 'root_index', 'snapshot_count',
              'last_snapshot_at', 'state', 'task')

    def __init__(self, apidict, name=None):
        super().__init__(apidict)
        self.id = apidict['uuid']
        # Nova's name when the compute API is there; the uuid otherwise.
        self.name = name or apidict['uuid']


class Snapshot(base.APIDictWrapper):
    _attrs = ('name', 'instance_uuid', 'state', 'progress', 'created_at',
              'quiesced', 'set_id', 'size', 'error')

    def __init__(self, apidict):
        super().__init__(apidict)
        self.id = apidict['name']


class SnapshotSet(base.APIDictWrapper):
    _attrs = ('id', 'name', 'project_id', 'state', 'instances',
              'created_at', 'error')


def is_available(request):
    return base.is_service_enabled(request, SERVICE_TYPE)


def _endpoint(request):
    url = base.url_for(request, SERVICE_TYPE).rstrip('/')
    # The catalog may name the service root or its /v1; both are accepted.
    if not url.endswith('/v1'):
        url += '/v1'
    return url


def auth_headers(request):
    """What the API needs to know who calls.

    X-Auth-Token is what keystonemiddleware validates; the project, user
    and roles headers are what the API trusts in noauth mode.
    """
    user = request.user
    roles = ','.join(role['name'] for role in (user.roles or ()))
    return {
        'X-Auth-Token': user.token.id,
        'X-Project-Id': user.project_id or '',
        'X-User-Id': user.id or '',
        'X-Roles': roles,
        'Accept': 'application/json',
    }


def _verify():
    if getattr(settings, 'OPENSTACK_SSL_NO_VERIFY', False):
        return False
    return getattr(settings, 'OPENSTACK_SSL_CACERT', None) or True


def _call(request, method, path, body=None):
    url = _endpoint(request) + path
    headers = auth_headers(request)
    data = None
    if body is not None:
        headers['Content-Type'] = 'application/json'
        data = json.dumps(body)
    timeout = getattr(settings, 'LIGHTSNAP_API_TIMEOUT', 60)
    try:
        resp = requests.request(method, url, headers=headers, data=data,
                                timeout=timeout, verify=_verify())
    except requests.RequestException as exc:
        LOG.warning('lightsnap API %s %s: %s', method, url, exc)
        raise ls_exc.ApiError(
            503, 'Service Unavailable',
            'The lightsnap API does not answer (%s); try again later.'
            % exc.__class__.__name__)
    try:
        payload = resp.json() if resp.content else {}
    except ValueError:
        payload = resp.text
    if resp.status_code >= 400:
        raise ls_exc.from_response(resp.status_code, payload)
    return payload


def _q(value):
    return parse.quote(str(value), safe='')


def instance_list(request):
    return [Instance(i) for i in _call(request, 'GET', '/instances')
            ['instances']]


def instance_get(request, uuid):
    return Instance(_call(request, 'GET', '/instances/%s' % _q(uuid))
                    ['instance'])


def instance_update(request, uuid, **flags):
    """flags: enabled, daily, store (booleans)."""
    return Instance(_call(request, 'PATCH', '/instances/%s' % _q(uuid),
                          flags)['instance'])


def instance_commit_all(request, uuid):
    return Instance(_call(request, 'POST',
                          '/instances/%s/commit-all' % _q(uuid), {})
                    ['instance'])


def snapshot_list(request, uuid):
    return [Snapshot(s) for s in _call(
        request, 'GET', '/instances/%s/snapshots' % _q(uuid))['snapshots']]


def snapshot_get(request, uuid, name):
    return Snapshot(_call(request, 'GET', '/instances/%s/snapshots/%s'
                          % (_q(uuid), _q(name)))['snapshot'])


def snapshot_create(request, uuid, name=None, quiesce=None):
    body = {}
    if name:
        body['name'] = name
    if quiesce:
        body['quiesce'] = quiesce
    return Snapshot(_call(request, 'POST', '/instances/%s/snapshots'
                          % _q(uuid), body)['snapshot'])


def snapshot_delete(request, uuid, name):
    return Snapshot(_call(request, 'DELETE', '/instances/%s/snapshots/%s'
                          % (_q(uuid), _q(name)))['snapshot'])


def snapshot_revert(request, uuid, name):
    return Snapshot(_call(request, 'POST', '/instances/%s/snapshots/%s/revert'
                          % (_q(uuid), _q(name)), {})['snapshot'])


def snapshot_export(request, uuid, name, file):
    return Snapshot(_call(request, 'POST', '/instances/%s/snapshots/%s/export'
                          % (_q(uuid), _q(name)), {'file': file})
                    ['snapshot'])


def set_list(request):
    return [SnapshotSet(s) for s in _call(request, 'GET', '/sets')['sets']]


def set_get(request, set_id):
    return SnapshotSet(_call(request, 'GET', '/sets/%s' % _q(set_id))['set'])


def set_create(request, name, instances, quiesce=None):
    body = {'name': name, 'instances': list(instances)}
    if quiesce:
        body['quiesce'] = quiesce
    return SnapshotSet(_call(request, 'POST', '/sets', body)['set'])


def set_restore(request, set_id):
    return SnapshotSet(_call(request, 'POST', '/sets/%s/restore'
                             % _q(set_id), {})['set'])


def set_delete(request, set_id):
    return SnapshotSet(_call(request, 'DELETE', '/sets/%s' % _q(set_id))
                       ['set'])
