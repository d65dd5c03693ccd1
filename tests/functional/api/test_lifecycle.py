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

"""The API end to end: a real lightsnap-api process with its embedded
compute on real libvirt domains; the data of every snapshot and of the
live disks is read back after every step."""

import os

from nova_lightsnap import chain
from tests.functional.api import base
from tests.functional.api import examples
from tests.functional import base as fbase


class LifecycleTests(object):
    projects = ('project-a', 'project-a')
    server_options = {'api': {'compute_host': 'compute-1'}}
    record_examples = False

    def setUp(self):
        super().setUp()
        self.a1, self.a2 = self.guests
        self.recorder = examples.Recorder([g.uuid for g in self.guests])

    def call(self, example, method, path, body=None, expect=None):
        status, headers, reply = self.client.request(method, path, body)
        self.assertIn('x-openstack-request-id',
                      {k.lower() for k in headers})
        if expect is not None:
            self.assertEqual(expect, status, reply)
        if example and self.record_examples:
            self.recorder.record(example, self.client.exchanges[-1])
        return reply

    def inst(self, guest):
        return '/v1/instances/%s' % guest.uuid

    def create(self, guest, name, example=None):
        self.use(guest)
        self.write_all()
        reply = self.call(example, 'POST', self.inst(guest) + '/snapshots',
                          {'name': name, 'quiesce': 'off'}, 202)
        self.assertEqual(('creating', name, 0),
                         (reply['snapshot']['state'],
                          reply['snapshot']['name'],
                          reply['snapshot']['progress']))
        status, snap = self.wait_snapshot(guest, name)
        self.assertEqual('available', snap['snapshot']['state'], snap)
        self.assertEqual(100, snap['snapshot']['progress'])
        guest.model.create(name)
        self.write_all()
        self.verify_all('after create %s' % name)

    def test_lifecycle(self):
        a1, a2 = self.a1, self.a2
        self.call('versions', 'GET', '/', expect=200)
        listed = self.call('instances-list', 'GET', '/v1/instances',
                           expect=200)['instances']
        self.assertEqual(sorted([a1.uuid, a2.uuid]),
                         [i['uuid'] for i in listed])
        self.assertEqual({(False, 'idle', 'compute-1', 'project-a')},
                         {(i['enabled'], i['state'], i['host'],
                           i['project_id']) for i in listed})

        reply = self.call('instance-update', 'PATCH', self.inst(a1),
                          {'enabled': True, 'daily': True}, 200)
        self.assertEqual((True, True), (reply['instance']['enabled'],
                                        reply['instance']['daily']))
        self.call(None, 'PATCH', self.inst(a2), {'enabled': True}, 200)

        self.create(a1, 's1', 'snapshot-create')
        self.create(a1, 's2')
        self.call('snapshot-show', 'GET', self.inst(a1) + '/snapshots/s1',
                  expect=200)
        snaps = self.call('snapshots-list', 'GET',
                          self.inst(a1) + '/snapshots', expect=200)
        self.assertEqual(['s1', 's2'],
                         [s['name'] for s in snaps['snapshots']])
        shown = self.call('instance-show', 'GET', self.inst(a1),
                          expect=200)['instance']
        self.assertEqual((2, 'idle', None, 2),
                         (shown['snapshot_count'], shown['state'],
                          shown['task'], shown['snapshot_index']))

        # Revert to the older snapshot: s2 stays valid.
        self.use(a1)
        self.write_all()
        reply = self.call('snapshot-revert', 'POST',
                          self.inst(a1) + '/snapshots/s1/revert', {}, 202)
        self.assertEqual('reverting', reply['snapshot']['state'])
        self.assertEqual('available',
                         self.wait_snapshot(a1, 's1')[1]['snapshot']['state'])
        a1.model.revert('s1')
        self.verify_all('after revert s1')

        # Export s2: a standalone image per disk with s2's data.
        reply = self.call('snapshot-export', 'POST',
                          self.inst(a1) + '/snapshots/s2/export',
                          {'file': 's2.qcow2'}, 202)
        self.assertEqual('exporting', reply['snapshot']['state'])
        self.assertEqual('available',
                         self.wait_snapshot(a1, 's2')[1]['snapshot']['state'])
        for target in sorted(a1.vm.disk_kinds):
            path = os.path.join(self.export_dir, 's2-%s.qcow2' % target)
            self.assertEqual([], a1.vm.mismatches(
                chain.ImageRef('file', path), a1.model.snaps['s2'][target],
                fbase.REGIONS), path)

        # Delete the older snapshot: a merge, then 404.
        reply = self.call('snapshot-delete', 'DELETE',
                          self.inst(a1) + '/snapshots/s1', expect=202)
        self.assertEqual('deleting', reply['snapshot']['state'])
        self.assertEqual(404, self.wait_snapshot(a1, 's1')[0])
        a1.model.delete('s1')
        self.verify_all('after delete s1')

        # A set across both instances, restored, then deleted.
        for guest in self.guests:
            self.use(guest)
            self.write_all()
        reply = self.call('set-create', 'POST', '/v1/sets',
                          {'name': 'before-upgrade',
                           'instances': [a1.uuid, a2.uuid],
                           'quiesce': 'off'}, 202)['set']
        self.assertEqual('creating', reply['state'])
        set_id = reply['id']
        self.assertEqual('available',
                         self.wait_set(set_id)[1]['set']['state'])
        for guest in self.guests:
            guest.model.create('before-upgrade')
            self.use(guest)
            self.write_all()
        self.verify_all('after set create')
        shown = self.call('set-show', 'GET', '/v1/sets/%s' % set_id,
                          expect=200)['set']
        self.assertEqual(sorted([a1.uuid, a2.uuid]), shown['instances'])
        self.call('sets-list', 'GET', '/v1/sets', expect=200)
        snap = self.call(None, 'GET',
                         self.inst(a2) + '/snapshots/before-upgrade',
                         expect=200)['snapshot']
        self.assertEqual(set_id, snap['set_id'])

        reply = self.call('set-restore', 'POST',
                          '/v1/sets/%s/restore' % set_id, {}, 202)
        self.assertEqual('restoring', reply['set']['state'])
        self.assertEqual('available',
                         self.wait_set(set_id)[1]['set']['state'])
        for guest in self.guests:
            guest.model.revert('before-upgrade')
        self.verify_all('after set restore')

        reply = self.call('set-delete', 'DELETE', '/v1/sets/%s' % set_id,
                          expect=202)
        self.assertEqual('deleting', reply['set']['state'])
        self.assertEqual(404, self.wait_set(set_id)[0])
        for guest in self.guests:
            guest.model.delete('before-upgrade')
        self.verify_all('after set delete')
        self.assertEqual(404, self.client.get(
            self.inst(a2) + '/snapshots/before-upgrade')[0])

        # With "store" (admin), a deleted snapshot stays, stored and
        # revertible; deleting it again removes it for good.
        admin = self.client.as_('project-a', 'admin')
        self.assertEqual(200, admin.patch(self.inst(a1), {'store': True})[0])
        self.create(a1, 's3')
        self.assertEqual(202, self.client.delete(
            self.inst(a1) + '/snapshots/s3')[0])
        status, snap = self.wait_snapshot(a1, 's3')
        self.assertEqual((200, 'stored'), (status, snap['snapshot']['state']))
        self.verify_all('after storing s3')
        self.assertEqual(202, self.client.post(
            self.inst(a1) + '/snapshots/s3/revert', {})[0])
        self.assertEqual('stored', self.wait_snapshot(a1, 's3')[1][
            'snapshot']['state'])
        a1.model.revert('s3')
        self.verify_all('after reverting to the stored s3')
        self.assertEqual(202, self.client.delete(
            self.inst(a1) + '/snapshots/s3')[0])
        self.assertEqual(404, self.wait_snapshot(a1, 's3')[0])
        a1.model.delete('s3')
        self.assertEqual(200, admin.patch(self.inst(a1),
                                          {'store': False})[0])
        self.verify_all('after deleting the stored s3')

        # Commit-all folds the rest back into the original images.
        self.use(a1)
        self.write_all()
        reply = self.call('instance-commit-all', 'POST',
                          self.inst(a1) + '/commit-all', {}, 202)
        self.assertEqual({'op': 'commit-all', 'state': 'running',
                          'progress': 0, 'error': None},
                         reply['instance']['task'])
        shown = self.wait_idle(a1)
        self.assertEqual((0, None), (shown['snapshot_count'],
                                     shown['task']))
        a1.model.commit_all()
        self.verify_all('after commit-all')
        self.assert_single_images()

        self.assertEqual([], self.recorder.outdated(),
                         'docs/api-ref/examples differ from what the API '
                         'answers; rerun this test with '
                         'LIGHTSNAP_UPDATE_API_EXAMPLES=1 and commit them')


class TestLifecycleSQLite(LifecycleTests, base.APITestCase):
    record_examples = True


class TestLifecyclePostgreSQL(LifecycleTests, base.APITestCase):
    db_backend = 'postgresql'
