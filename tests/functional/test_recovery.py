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

"""A process that dies mid-operation: the next run finishes or rolls back.

The interruption is made real: the first half of an operation runs against
libvirt, then the process "dies" (the lock is dropped with the journal
still written), and a fresh engine carries on.
"""

import os
import time
from unittest import mock

import libvirt

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host
from nova_lightsnap.engine import images
from nova_lightsnap.engine import journal
from nova_lightsnap.engine import planner
from tests.functional import base


class Killed(BaseException):
    """Stands for SIGKILL at a chosen point: nothing after it runs."""


class RecoveryTest(base.EngineTestCase):

    def fresh(self):
        """A new engine, as the next lightsnap process would have."""
        self.host.close()
        self.host = host.Host(base.domains.URI, state_dir=self.vm.state_dir)
        return self.host.domain(self.vm.name)

    def test_create_cut_before_the_switch_is_rolled_back(self):
        self.write_all()
        self.create('s1')
        handle = self.dom()
        with handle.operation() as st:
            handle.prepare_create(st, 's2')  # overlays made, then "killed"
        self.assertIsNotNone(self.state().journal)
        handle = self.fresh()
        self.assertEqual(['s1'], [s['name'] for s in handle.list()])
        handle.create('s3', 'off')
        self.model.create('s3')
        self.assertIn('rolled back', ' '.join(handle.reports))
        self.verify('after the rollback')

    def test_create_cut_after_the_switch_is_finished(self):
        self.write_all()
        handle = self.dom()
        with handle.operation() as st:
            prepared = handle.prepare_create(st, 's1')
            handle.take(prepared)  # disks switched, then "killed"
        self.model.create('s1')
        handle = self.fresh()
        handle.create('s2', 'off')
        self.model.create('s2')
        self.assertIn('finished the create', ' '.join(handle.reports))
        self.verify('after rolling forward')

    def test_active_commit_left_ready_is_pivoted(self):
        self.write_all()
        self.create('s1')
        self.write_all(2)
        handle = self.dom()
        with handle.operation() as st:
            st.snapshots = []
            step = planner.next_step(st.disks['vda'], set(), True, {})
            self.assertEqual(planner.COMMIT_ACTIVE, step.kind)
            st.journal = journal.Merge(step)
            handle._save(st)
            live = handle._disks()['vda']
            root = st.disks['vda'].root
            handle.dom.blockCommit(
                'vda', live.index_name(root), None, 0,
                libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
            for _ in range(300):
                if handle._mirror_ready('vda'):
                    break
                time.sleep(0.1)
            # "killed" with the job ready and not pivoted
        self.model.delete('s1')
        handle = self.fresh()
        self.assertEqual([], handle.list())
        handle.commit_all()
        self.assertIn('pivoted', ' '.join(handle.reports))
        self.verify('after the pivot and commit-all')
        self.assert_single_images()

    def test_revert_cut_while_the_domain_is_down_is_finished(self):
        self.write_all()
        self.create('s1')
        self.write_all()
        original = libvirt.virDomain.create

        def killed(dom):
            raise Killed()

        libvirt.virDomain.create = killed
        try:
            self.assertRaises(Killed, self.dom().revert, 's1')
        finally:
            libvirt.virDomain.create = original
        self.assertFalse(self.vm.domain.isActive())
        self.model.revert('s1')
        handle = self.fresh()
        handle.create('s2', 'off')
        self.model.create('s2')
        reports = ' '.join(handle.reports)
        self.assertIn('finished the revert', reports)
        self.assertIn('started', reports)
        self.assertTrue(self.vm.domain.isActive())
        self.verify('after the revert was finished')

    def test_store_cut_before_the_kept_file_is_recorded_is_finished(self):
        handle = self.dom()
        handle.set_flags(store=True)
        self.write_and_create('s1', 's2')

        def killed(dest, *args):
            # The kept file half made, then "killed".
            os.makedirs(dest.dirname, exist_ok=True)
            with open(images.staging_path(dest), 'w') as partial:
                partial.write('half')
            raise Killed()
        with mock.patch.object(images, 'keep', killed):
            self.assertRaises(Killed, self.dom().delete, 's1')
        st = self.state()
        self.assertTrue(st.snapshot('s1').stored)
        self.assertEqual({}, st.snapshot('s1').kept)
        handle = self.fresh()
        handle.create('s3', 'off')
        self.model.create('s3')
        self.assertEqual({'vda', 'vdb'}, set(
            self.state().snapshot('s1').kept))
        self.verify('after the keep was finished')
        # Its layers leave the live chain with the next merge.
        self.dom().delete('s2', purge=True)
        self.model.delete('s2')
        for dstate in self.state().disks.values():
            self.assertEqual(2, len(dstate.layers))
        self.verify('after the layers were merged')

    def test_purge_cut_after_rebasing_the_kept_files_above(self):
        self.dom().set_flags(store=True)
        self.write_and_create('s1', 's2', 's3')
        for name in ('s1', 's2', 's3'):
            self.dom().delete(name)
        real = images.rebase_safe

        def killed(*args):
            real(*args)
            raise Killed()
        with mock.patch.object(images, 'rebase_safe', killed):
            self.assertRaises(Killed, self.dom().delete, 's2', purge=True)
        # Nothing lost: every stored snapshot reads as before.
        self.fresh()
        self.verify('after the cut-off purge')
        self.dom().delete('s2', purge=True)
        self.model.delete('s2')
        self.verify('after the purge was done again')

    def test_revert_to_stored_cut_while_the_overlay_is_made(self):
        self.dom().set_flags(store=True)
        self.write_and_create('s1', 's2')
        self.dom().delete('s1')
        handle = self.dom()
        real = images.overlay_from_kept

        def killed(ref, *args):
            real(ref, *args)
            with open(images.staging_path(ref), 'w') as staging:
                staging.write('half')
            raise Killed()

        def no_cleanup(*args):
            raise Killed()  # SIGKILL: the rollback does not run either
        with mock.patch.object(images, 'overlay_from_kept', killed), \
                mock.patch.object(handle, 'abort_create', no_cleanup):
            self.assertRaises(Killed, handle.revert, 's1')
        self.assertFalse(self.vm.domain.isActive())
        handle = self.fresh()
        handle.create('s3', 'off')
        self.model.create('s3')
        reports = ' '.join(handle.reports)
        self.assertIn('rolled back the revert', reports)
        self.assertTrue(self.vm.domain.isActive())
        self.verify('after the revert was rolled back')
        self.revert('s1')
        self.verify('after the revert was done again')

    def test_a_store_of_hard_links_is_kept_in_files_of_its_own(self):
        # As an earlier version left it: s1 stored, its layers in the live
        # chain and hard-linked into the store.
        self.write_and_create('s1', 's2')
        handle = self.dom()
        with handle.operation() as st:
            st.store = True
            snap = st.snapshot('s1')
            snap.stored = True
            links = {}
            for target, layer in snap.layers.items():
                links[target] = os.path.join(handle.store_dir(), 's1',
                                             '%s-%s' % (target, layer))
                os.makedirs(os.path.dirname(links[target]), exist_ok=True)
                os.link(st.disks[target].ref(layer).path, links[target])
            handle._save(st)
        handle = self.fresh()
        handle.create('s3', 'off')
        self.model.create('s3')
        st = self.state()
        snap = st.snapshot('s1')
        for target, layer in snap.layers.items():
            self.assertEqual(links[target], st.layer_ref(snap, target).path)
            self.assertFalse(os.path.samefile(
                links[target], st.disks[target].ref(layer).path))
        self.verify('after keeping the hard-linked s1')
        self.dom().delete('s2', purge=True)
        self.model.delete('s2')
        for dstate in self.state().disks.values():
            self.assertEqual(2, len(dstate.layers))
        self.verify('after its layers left the live chain')


class JobTimeoutTest(base.EngineTestCase):
    disks = {'vda': 'file'}

    def test_a_merge_that_overruns_is_cancelled_and_changes_nothing(self):
        self.write('vda', 0)
        self.create('s1')
        # 12 MiB above s1 at 1 MiB/s: about 12 s, far over 1 s.
        self.fill_layer('vda', 12 * 1024 ** 2, 5)
        self.create('s2')
        self.write('vda', 1)
        self.host.job_timeout = 1
        self.host.job_bandwidth = 1
        exc = self.assertRaises(errors.BlockJobFailed, self.dom().delete,
                                's1')
        self.assertIn('cancelled; nothing changed', str(exc))
        self.assertEqual({}, self.vm.domain.blockJobInfo('vda', 0))
        # The name is gone; every layer is still there and valid.
        self.model.delete('s1')
        self.verify('after the cancelled merge')
        self.host.job_timeout = 300
        self.host.job_bandwidth = 0
        steps = self.delete('s2')
        self.assertEqual([planner.COMMIT_ACTIVE], self.kinds(steps))
        self.verify('after the merge ran to the end')

    def kinds(self, steps):
        return [s.kind for s in steps]
