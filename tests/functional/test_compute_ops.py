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

"""The compute-side operations (what the RPC endpoint serves) on real
libvirt domains: per-instance flags, the store, commit-all, export, sets,
progress and refusals, with every snapshot's data verified."""

import os
import threading
import time

from nova_lightsnap.compute import manager
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import state
from tests.functional import base
from tests.support import domains


class OpsTestCase(base.EngineTestCase):
    disks = {'vda': 'file'}

    def setUp(self):
        super().setUp()
        self.ops = manager.local(domains.URI, state_dir=self.vm.state_dir,
                                 export_dir=os.path.join(self.vm.dir, 'exp'),
                                 job_timeout=300)
        self.addCleanup(self.ops.host.close)
        self.uuid = self.vm.domain.UUIDString()

    # The model follows the operations made through ``ops``.
    def create(self, name, quiesce='off'):
        item = self.ops.create_snapshot(self.uuid, name, quiesce)
        self.model.create(name)
        return item

    def revert(self, name):
        self.ops.revert_snapshot(self.uuid, name)
        self.model.revert(name)

    def store_dir(self):
        return os.path.join(self.vm.dir, self.uuid + '.lightsnap-store')

    def assert_no_leaks(self, context=''):
        saved = self.vm.local_files
        self.vm.local_files = lambda: [f for f in saved() if f != 'exp']
        try:
            super().assert_no_leaks(context)
        finally:
            self.vm.local_files = saved


class InstanceOperationsTest(OpsTestCase):

    def test_refusals_change_nothing(self):
        before = self.vm.local_files()
        with self.assertRaisesRegex(errors.InvalidState, 'enable them first'):
            self.ops.create_snapshot(self.uuid, 's1')
        for bad in ('../x', '/etc/passwd', 'a/b', '', 'x\0y', 'é', 'a' * 65):
            self.assertRaises(errors.InvalidInput,
                              self.ops.create_snapshot, self.uuid, bad)
        for bad in ('not-a-uuid', self.uuid.upper(), '../' + self.uuid, 7):
            self.assertRaises(errors.InvalidInput,
                              self.ops.get_instance, bad)
        self.assertRaises(errors.NotFound, self.ops.get_instance,
                          '00000000-0000-0000-0000-000000000000')
        self.assertRaises(errors.InvalidInput, self.ops.set_flags,
                          self.uuid, enable='yes')
        self.assertEqual(before, self.vm.local_files())
        view = self.ops.get_instance(self.uuid)
        self.assertFalse(view['enabled'])
        self.assertEqual([], view['snapshots'])

        self.ops.set_flags(self.uuid, enable=True)
        self.write_and_create('s1')
        for bad in ('../../x.qcow2', '/tmp/x', 'a/b', '.hidden/x', '..'):
            self.assertRaises(errors.InvalidInput, self.ops.export_snapshot,
                              self.uuid, 's1', bad)
        self.assertRaises(errors.NotFound, self.ops.delete_snapshot,
                          self.uuid, 'nope')
        self.assertRaisesRegex(errors.InvalidState, 'commit-all',
                               self.ops.set_flags, self.uuid, enable=False)
        self.assertFalse(os.path.exists(os.path.join(self.vm.dir, 'exp')))
        self.verify('after refusals')

    def test_index_store_commit_all_and_flags(self):
        view = self.ops.set_flags(self.uuid, enable=True)
        self.assertEqual((True, False, 0), (view['enabled'], view['store'],
                                            view['snapshot_index']))
        self.write_and_create('s1', 's2', 's3')
        view = self.ops.set_flags(self.uuid, store=True)
        self.assertEqual(3, view['snapshot_index'])
        self.assertTrue(all(s['size'] > 0 for s in view['snapshots']))

        # Deleting with the store on keeps s1 and s2 in the store, out of
        # the live chain: s3's layer and the active image are left.
        self.assertEqual({'deleted': 's2', 'stored': True},
                         self.ops.delete_snapshot(self.uuid, 's2'))
        self.assertEqual({'deleted': 's1', 'stored': True},
                         self.ops.delete_snapshot(self.uuid, 's1'))
        st = self.state()
        for name in ('s1', 's2'):
            snap = st.snapshot(name)
            self.assertTrue(snap.stored)
            kept = os.path.join(self.store_dir(), name,
                                'vda-' + snap.layers['vda'])
            self.assertEqual(kept, st.layer_ref(snap, 'vda').path)
            self.assertTrue(os.path.isfile(kept), kept)
        self.assertEqual(2, len(st.disks['vda'].layers))
        self.assertEqual(2, len(self.vm.disks()['vda'].chain))
        self.verify('stored s1 s2')

        # A stored snapshot is still revertible; later ones stay valid.
        self.revert('s1')
        self.write_all()
        self.verify('reverted to stored s1')

        # Purging removes it for good, and its links.
        self.ops.delete_snapshot(self.uuid, 's2', purge=True)
        self.model.delete('s2')
        self.assertFalse(os.path.exists(os.path.join(self.store_dir(), 's2')))
        self.verify('purged s2')

        self.write_and_create('s4')
        result = self.ops.commit_all(self.uuid)
        self.assertEqual({'committed': 3}, result)
        self.model.commit_all()
        view = self.ops.get_instance(self.uuid)
        # s1, s2, s3, the revert's overlay, s4.
        self.assertEqual((5, 5, []), (view['snapshot_index'],
                                      view['root_index'], view['snapshots']))
        self.assertFalse(os.path.exists(self.store_dir()))
        self.assert_single_images()
        self.verify('after commit-all')

        # Names are never reused: the next file number continues.
        self.write_and_create('s5')
        st = self.state()
        self.assertEqual(['s5'], [s.name for s in st.snapshots])
        self.assertTrue(st.disks['vda'].active.endswith('.ls0006.qcow2'),
                        st.disks['vda'].active)
        self.ops.delete_snapshot(self.uuid, 's5', purge=True)
        self.model.delete('s5')
        self.ops.set_flags(self.uuid, enable=False)
        self.assertFalse(self.ops.get_instance(self.uuid)['enabled'])
        self.assertRaises(errors.InvalidState, self.ops.create_snapshot,
                          self.uuid, 's6')
        self.verify('disabled')

    def test_export_is_a_standalone_image_of_the_snapshot(self):
        self.ops.set_flags(self.uuid, enable=True)
        self.write_and_create('s1', 's2')
        result = self.ops.export_snapshot(self.uuid, 's1', 's1.qcow2')
        path = os.path.join(self.vm.dir, 'exp', 's1.qcow2')
        self.assertEqual(path, result['path'])
        info = domains.qemu_img('info', '--output=json', path)
        self.assertNotIn('backing-filename', info)
        ref = self.vm.roots['vda'].sibling('exp/s1.qcow2')
        self.assertEqual([], self.vm.mismatches(ref, self.model.snaps['s1']
                                                ['vda'], base.REGIONS))
        self.assertRaisesRegex(errors.InvalidInput, 'exists',
                               self.ops.export_snapshot, self.uuid, 's2',
                               's1.qcow2')
        self.verify('after export')

    def test_progress_and_busy_during_a_merge(self):
        self.ops.set_flags(self.uuid, enable=True)
        self.create('big')
        self.fill_layer('vda', 8 * 1024 * 1024, 7)
        # The merge of 8 MiB at 1 MiB/s takes seconds: long enough to see.
        self.ops.host.job_bandwidth = 1
        seen, failures = [], []

        def delete():
            try:
                self.ops.delete_snapshot(self.uuid, 'big')
            except Exception as exc:  # reported below
                failures.append(exc)
        worker = threading.Thread(target=delete)
        worker.start()
        deadline = time.monotonic() + 60
        while worker.is_alive() and time.monotonic() < deadline:
            job = self.ops.progress(self.uuid)
            if job:
                seen.append(job)
            time.sleep(0.2)
        busy = None
        if seen:
            try:
                self.ops.create_snapshot(self.uuid, 'during')
            except errors.Busy as exc:
                busy = exc
        worker.join(120)
        self.assertEqual([], failures)
        self.assertTrue(seen, 'no progress was reported during the merge')
        self.assertEqual('delete', seen[0]['op'])
        self.assertTrue(any(j['percent'] > 0 for j in seen), seen)
        self.assertIsNone(self.ops.progress(self.uuid))
        self.model.delete('big')
        if busy is None:
            # The merge ended between the last poll and the attempt.
            self.ops.delete_snapshot(self.uuid, 'during', purge=True)
        self.verify('after the merge')


class SetOperationsTest(OpsTestCase):

    def test_set_create_restore_delete(self):
        other = self.useFixture(domains.TestDomain({'vda': 'file'}))
        other_uuid = other.domain.UUIDString()
        self.ops.set_flags(self.uuid, enable=True)
        self.assertRaisesRegex(
            errors.InvalidState, other_uuid, self.ops.create_set, 'nightly',
            [self.uuid, other_uuid])
        self.ops.set_flags(other_uuid, enable=True)
        for bad in (['x'], [], self.uuid, [self.uuid, self.uuid]):
            self.assertRaises(errors.InvalidInput, self.ops.create_set,
                              'nightly', bad)
        self.assertRaises(errors.InvalidInput, self.ops.create_set, '../n',
                          [self.uuid])

        self.write_all()
        other.write('vda', 3, 41)
        result = self.ops.create_set('nightly', [self.uuid, other_uuid])
        self.model.create('nightly')
        self.assertEqual([self.uuid, other_uuid], result['members'])
        self.assertEqual({self.uuid, other_uuid}, set(result['snapshots']))
        self.write_all()
        other.write('vda', 3, 42)

        self.ops.restore_set('nightly', [self.uuid, other_uuid])
        self.model.revert('nightly')
        self.verify('restored')
        other_state = state.StateFile(os.path.join(
            other.dir, other_uuid + '.lightsnap.json')).load()
        other_layer = other_state.disks['vda'].ref(
            other_state.snapshot('nightly').layers['vda'])
        self.assertEqual([], other.mismatches(other_layer, {3: 41}, 4))
        other.flush()
        self.assertEqual([], other.mismatches(
            other.disks()['vda'].active.ref, {3: 41}, 4))

        self.ops.delete_set('nightly', [self.uuid, other_uuid])
        self.model.delete('nightly')
        self.assertEqual([], self.ops.get_instance(other_uuid)['snapshots'])
        self.verify('set deleted')
