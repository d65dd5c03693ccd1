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

"""Version 1 of the lightsnap REST API, one method per call.

Methods return the resource dicts of the API as they come (see the API's
reference); the long ones return at once with the resource in its
transitional state, to be followed with ``wait``.
"""

from urllib import parse

from nova_lightsnap.client import http
from nova_lightsnap.client import polling


def _q(value):
    return parse.quote(str(value), safe='')


def _drop_none(**kwargs):
    return {k: v for k, v in kwargs.items() if v is not None}


class Client:

    def __init__(self, adapter):
        self.http = http.Http(adapter)

    def _get(self, path, key, params=None):
        return self.http.request('GET', path, params=params)[key]

    # -- instances ------------------------------------------------------

    def list_instances(self, all_projects=False):
        params = {'all_projects': '1'} if all_projects else None
        return self._get('/instances', 'instances', params)

    def get_instance(self, uuid):
        return self._get('/instances/%s' % _q(uuid), 'instance')

    def update_instance(self, uuid, enabled=None, daily=None, store=None):
        body = _drop_none(enabled=enabled, daily=daily, store=store)
        if not body:
            raise ValueError('nothing to change: give enabled, daily or '
                             'store')
        return self.http.request('PATCH', '/instances/%s' % _q(uuid),
                                 body)['instance']

    def commit_all(self, uuid):
        return self.http.request('POST', '/instances/%s/commit-all' % _q(uuid),
                                 {})['instance']

    # -- snapshots ------------------------------------------------------

    def _snap_path(self, uuid, name=None, action=None):
        path = '/instances/%s/snapshots' % _q(uuid)
        if name is not None:
            path += '/' + _q(name)
        if action:
            path += '/' + action
        return path

    def create_snapshot(self, uuid, name=None, quiesce=None):
        body = _drop_none(name=name, quiesce=quiesce)
        return self.http.request('POST', self._snap_path(uuid),
                                 body)['snapshot']

    def list_snapshots(self, uuid):
        return self._get(self._snap_path(uuid), 'snapshots')

    def get_snapshot(self, uuid, name):
        return self._get(self._snap_path(uuid, name), 'snapshot')

    def delete_snapshot(self, uuid, name):
        return self.http.request('DELETE',
                                 self._snap_path(uuid, name))['snapshot']

    def revert_snapshot(self, uuid, name):
        return self.http.request('POST', self._snap_path(uuid, name, 'revert'),
                                 {})['snapshot']

    def export_snapshot(self, uuid, name, file):
        return self.http.request('POST', self._snap_path(uuid, name, 'export'),
                                 {'file': file})['snapshot']

    # -- sets -----------------------------------------------------------

    def create_set(self, name, instances, quiesce=None):
        body = _drop_none(name=name, instances=list(instances),
                          quiesce=quiesce)
        return self.http.request('POST', '/sets', body)['set']

    def list_sets(self):
        return self._get('/sets', 'sets')

    def get_set(self, set_id):
        return self._get('/sets/%s' % _q(set_id), 'set')

    def restore_set(self, set_id):
        return self.http.request('POST', '/sets/%s/restore' % _q(set_id),
                                 {})['set']

    def delete_set(self, set_id):
        return self.http.request('DELETE', '/sets/%s' % _q(set_id))['set']

    # -- quotas -----------------------------------------------------------

    def get_limits(self, project_id=None):
        """{'project_id', 'resources': {name: {'limit', 'usage'}}} of the
        caller's project, or of ``project_id`` (admin)."""
        params = {'project_id': project_id} if project_id else None
        return self._get('/limits', 'limits', params)

    # -- waiting for 202 operations ---------------------------------------

    def wait_snapshot(self, uuid, name, until=('available',), gone_ok=False,
                      **kwargs):
        return polling.wait(lambda: self.get_snapshot(uuid, name), until,
                            gone_ok=gone_ok, **kwargs)

    def wait_set(self, set_id, until=('available',), gone_ok=False, **kwargs):
        return polling.wait(lambda: self.get_set(set_id), until,
                            state_of=polling.set_state, gone_ok=gone_ok,
                            **kwargs)

    def wait_instance(self, uuid, until=('idle',), **kwargs):
        return polling.wait(lambda: self.get_instance(uuid), until,
                            state_of=polling.instance_state, **kwargs)
