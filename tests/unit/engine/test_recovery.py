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

"""Every phase of every operation's recovery, against a domain in memory.

Each test leaves the journal and the domain as a process killed in that
phase would, then lets the next operation find it: the journal must be
finished or rolled back, through the normal run's code, in milliseconds.
The real-libvirt proof of the same is tests.functional.test_recovery and
tests.functional.faults.
"""

import json
import os
import tempfile
from unittest import mock

import fixtures

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import journal
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import planner
from tests.support import fake_domain
from tests.support import testcase

ROOT = 'disk.qcow2'
OV1 = 'disk.ls0001.qcow2'
OV2 = 'disk.ls0002.qcow2'


class QuickWatcher(blockjob.JobWatcher):
    """No events, as after a lost one; the live XML polled at once."""

    def __init__(self):
        super().__init__(blockjob.NoEvents())

    def wait(self, *args, **kwargs):
        kwargs['poll'] = 0.001
        kwargs['job_gone_grace'] = 0
        return super().wait(*args, **kwargs)


class RecoveryPhasesTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(self._clean)
        self.conn = fake_domain.FakeConnection()
        self.dom = self.conn.add(fake_domain.FakeDomain(
            self.conn, self.dir, {'vda': ROOT}))
        self.engine = mock.Mock(
            conn=self.conn, watcher=QuickWatcher(), job_timeout=5,
            job_bandwidth=0, progress=None)
        self.engine.registry.find_domain.return_value = None
        self.images = {}
        for name in ('create_overlay', 'remove', 'rebase_unsafe', 'commit'):
            self.images[name] = self.useFixture(
                fixtures.MockPatchObject(images, name)).mock
        self.useFixture(fixtures.MockPatchObject(images, 'allocated',
                                                 return_value=0))
        self.useFixture(fixtures.MockPatchObject(images, 'capacity',
                                                 return_value=1 << 30))

    def _clean(self):
        for entry in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, entry))
        os.rmdir(self.dir)

    def ref(self, basename):
        return ImageRef('file', os.path.join(self.dir, basename))

    def handle(self):
        return domain.DomainSnapshots(
            self.engine, self.dom,
            state_path=os.path.join(self.dir, self.dom.uuid + '.json'))

    def cut(self, entry, **changes):
        """Leave ``entry`` in the journal, as a killed process would."""
        handle = self.handle()
        with handle.operation() as st:
            for key, value in changes.items():
                setattr(st, key, value)
            st.journal = entry
            handle._save(st)

    def recover(self):
        """The next operation: returns its handle and recovered state."""
        handle = self.handle()
        with handle.operation() as st:
            self.assertIsNone(st.journal)
            return handle, st

    def snapshot(self, name='s1'):
        self.handle().create(name)
        self.assertEqual([OV1, ROOT], self.dom.live['vda'])

    # -- create ------------------------------------------------------------

    def create_entry(self, **kwargs):
        return journal.Create(name='s1', overlays={'vda': OV1},
                              parents={'vda': ROOT}, created_at='t0',
                              **kwargs)

    def test_create_intent_is_rolled_back(self):
        self.cut(self.create_entry(), next_index=2)
        handle, st = self.recover()
        self.assertEqual([], st.snapshots)
        self.assertEqual(ROOT, st.disks['vda'].active)
        self.images['remove'].assert_called_once_with(self.ref(OV1))
        self.assertIn('rolled back the create', handle.reports[0])

    def test_create_switched_is_finished(self):
        self.cut(self.create_entry(set='set1'), next_index=2)
        self.dom.snapshotCreateXML(
            merge.snapshot_xml({'vda': self.ref(OV1)}), 0)
        handle, st = self.recover()
        self.assertEqual(['s1'], [s.name for s in st.snapshots])
        self.assertEqual('set1', st.snapshots[0].set)
        self.assertEqual({'vda': ROOT}, st.snapshots[0].layers)
        self.assertEqual(OV1, st.disks['vda'].active)
        self.images['remove'].assert_not_called()
        self.assertIn('finished the create', handle.reports[0])

    def test_create_torn_is_left_to_a_person(self):
        self.dom.defined['vdb'] = 'data.qcow2'
        self.dom.backing['data.qcow2'] = None
        self.dom.live['vdb'] = ['data.qcow2']
        self.cut(journal.Create(
            name='s1', overlays={'vda': OV1, 'vdb': 'data.ls0001.qcow2'},
            parents={'vda': ROOT, 'vdb': 'data.qcow2'}, created_at='t0'))
        self.dom.snapshotCreateXML(
            merge.snapshot_xml({'vda': self.ref(OV1)}), 0)
        handle = self.handle()
        ex = self.assertRaises(errors.ChainMismatch,
                               handle.operation().__enter__)
        self.assertIn('switched disks vda but not the others', str(ex))

    def test_a_normal_create_is_atomic(self):
        self.snapshot()
        self.assertEqual(
            merge.SNAPSHOT_FLAGS | merge.ATOMIC_FLAG,
            [c for c in self.dom.calls if c[0] == 'snapshotCreateXML'][0][1])

    # -- revert ------------------------------------------------------------

    def revert_entry(self, **kwargs):
        return journal.Revert(name='s1', overlays={'vda': OV2},
                              parents={'vda': ROOT}, was_running=True,
                              **kwargs)

    def test_revert_intent_is_rolled_back_and_restarted(self):
        self.snapshot()
        self.cut(self.revert_entry(), next_index=3)
        self.dom.destroy()
        handle, st = self.recover()
        self.assertEqual(OV1, st.disks['vda'].active)
        self.assertTrue(self.dom.running)
        self.assertEqual([OV1, ROOT], self.dom.live['vda'])
        self.images['remove'].assert_called_once_with(self.ref(OV2))
        self.assertIn('rolled back the revert', handle.reports[0])
        self.assertIn('started vm1 again', handle.reports[1])

    def test_revert_switched_is_finished_and_restarted(self):
        self.snapshot()
        self.cut(self.revert_entry(), next_index=3)
        self.dom.destroy()
        self.dom.backing[OV2] = ROOT
        self.dom.defined['vda'] = OV2
        handle, st = self.recover()
        self.assertEqual(OV2, st.disks['vda'].active)
        self.assertEqual([OV2, ROOT], self.dom.live['vda'])
        self.assertIn('finished the revert', handle.reports[0])
        # The layer the revert left behind is collected.
        self.images['remove'].assert_called_once_with(self.ref(OV1))

    def test_revert_of_a_transient_domain_brings_it_back(self):
        self.dom.persistent = False
        self.snapshot()
        xml = self.dom.XMLDesc(0)
        self.cut(self.revert_entry(xml=xml), next_index=3)
        self.dom.destroy()
        self.assertEqual({}, self.conn.domains)
        handle, st = self.recover()
        self.assertIs(self.dom, self.conn.domains[self.dom.uuid])
        self.assertTrue(self.dom.running)
        self.assertEqual(OV1, st.disks['vda'].active)
        self.assertIn('rolled back the revert', handle.reports[0])

    # -- merge -------------------------------------------------------------

    def merge_entry(self, kind=planner.COMMIT_ACTIVE):
        return journal.Merge(planner.Step(kind, 'vda', [ROOT, OV1]))

    def test_merge_started_is_retried_by_the_normal_path(self):
        self.snapshot()
        self.cut(self.merge_entry(), snapshots=[])
        handle, st = self.recover()
        self.assertIn('interrupted before it took effect', handle.reports[0])
        # The next collection ran the same step again, as a normal run.
        self.assertEqual([ROOT], self.dom.live['vda'])
        self.assertEqual(ROOT, st.disks['vda'].active)
        self.assertEqual(['blockCommit'], [c[0] for c in self.dom.calls
                                           if c[0].startswith('block')][:1])

    def test_merge_that_took_effect_is_finished(self):
        self.snapshot()
        self.cut(self.merge_entry(), snapshots=[])
        self.dom.blockCommit('vda', 'vda[1]', None, 0,
                             merge.libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE)
        self.dom.blockJobAbort(
            'vda', merge.libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
        handle, st = self.recover()
        self.assertIn('finished the interrupted merge', handle.reports[0])
        self.assertEqual(ROOT, st.disks['vda'].active)
        self.assertEqual([ROOT], list(st.disks['vda'].layers))
        self.images['remove'].assert_called_once_with(self.ref(OV1))

    def test_active_commit_left_ready_is_pivoted(self):
        self.snapshot()
        self.cut(self.merge_entry(), snapshots=[])
        self.dom.blockCommit('vda', 'vda[1]', None, 0,
                             merge.libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE)
        handle, st = self.recover()
        self.assertIn('pivoted the active commit of vda', handle.reports[0])
        self.assertIn('finished the interrupted merge', handle.reports[1])
        self.assertEqual([ROOT], self.dom.live['vda'])

    def failing_pivot(self, pivoted):
        """blockJobAbort(PIVOT) raises; ``pivoted``: after the pivot
        (a lost reply), else before it (libvirt refused)."""
        abort = self.dom.blockJobAbort

        def pivot(target, flags):
            if flags & merge.libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT:
                if pivoted:
                    abort(target, flags)
                raise fake_domain._error('pivot', 1)
            return abort(target, flags)
        self.dom.blockJobAbort = pivot

    def test_failed_pivot_is_cancelled_and_forgotten(self):
        self.snapshot()
        self.failing_pivot(pivoted=False)
        handle = self.handle()
        ex = self.assertRaises(errors.BlockJobFailed, handle.delete, 's1')
        self.assertTrue(ex.unchanged)
        self.assertIn('nothing changed', str(ex))
        self.assertEqual([OV1, ROOT], self.dom.live['vda'])
        self.assertEqual({}, self.dom.jobs)
        self.assertIsNone(handle.state_file.load().journal)

    def test_pivot_whose_reply_was_lost_is_finished_next_time(self):
        self.snapshot()
        self.failing_pivot(pivoted=True)
        ex = self.assertRaises(errors.BlockJobFailed, self.handle().delete,
                               's1')
        self.assertFalse(ex.unchanged)
        self.assertEqual([ROOT], self.dom.live['vda'])
        self.assertIsInstance(self.handle().state_file.load().journal,
                              journal.Merge)
        handle, st = self.recover()
        self.assertIn('finished the interrupted merge', handle.reports[0])
        self.assertEqual(ROOT, st.disks['vda'].active)

    def test_offline_merge_started_is_retried(self):
        self.snapshot()
        self.dom.destroy()
        self.cut(self.merge_entry(planner.OFFLINE_COMMIT), snapshots=[])
        handle, st = self.recover()
        self.assertIn('interrupted before it took effect', handle.reports[0])
        self.images['commit'].assert_called_once_with(
            self.ref(OV1), self.ref(ROOT), progress=None)
        self.assertEqual(ROOT, self.dom.defined['vda'])
        self.assertEqual(ROOT, st.disks['vda'].active)

    def test_offline_merge_that_took_effect_is_finished(self):
        self.snapshot()
        self.dom.destroy()
        self.cut(self.merge_entry(planner.OFFLINE_COMMIT), snapshots=[])
        self.dom.defined['vda'] = ROOT
        handle, st = self.recover()
        self.assertIn('finished the interrupted merge', handle.reports[0])
        self.images['commit'].assert_not_called()
        self.assertEqual(ROOT, st.disks['vda'].active)

    # -- the journal on disk -------------------------------------------------

    def test_unknown_operation_is_refused(self):
        self.cut(None)
        path = self.handle().state_file.path
        with open(path) as handle:
            data = json.load(handle)
        data['journal'] = {'op': 'future', 'x': 1}
        with open(path, 'w') as handle:
            json.dump(data, handle)
        ex = self.assertRaises(errors.LightSnapError,
                               self.handle().operation().__enter__)
        self.assertIn("unknown journal entry 'future'", str(ex))
        # Kept as it was for the version that wrote it.
        with open(path) as handle:
            self.assertEqual({'op': 'future', 'x': 1},
                             json.load(handle)['journal'])


class JournalFormatTest(testcase.TestCase):
    """Journals written by the versions before the typed journal."""

    OLD_CREATE = {'op': 'create', 'name': 's1', 'overlays': {'vda': OV1},
                  'parents': {'vda': ROOT}, 'created_at': 't0', 'set': None}
    OLD_REVERT = {'op': 'revert', 'name': 's1', 'overlays': {'vda': OV2},
                  'parents': {'vda': ROOT}, 'was_running': True,
                  'xml': None, 'kept': {}}
    OLD_MERGE = {'op': 'merge', 'step': {'kind': 'commit-active',
                                         'target': 'vda',
                                         'run': [ROOT, OV1]}}

    def test_old_journals_load_typed(self):
        self.assertEqual(journal.Create('s1', {'vda': OV1}, {'vda': ROOT},
                                        created_at='t0'),
                         journal.from_dict(self.OLD_CREATE))
        self.assertEqual(journal.Revert('s1', {'vda': OV2}, {'vda': ROOT},
                                        was_running=True),
                         journal.from_dict(self.OLD_REVERT))
        self.assertEqual(
            journal.Merge(planner.Step('commit-active', 'vda', [ROOT, OV1])),
            journal.from_dict(self.OLD_MERGE))
        self.assertIsNone(journal.from_dict(None))

    def test_written_as_before(self):
        for old in (self.OLD_REVERT, self.OLD_MERGE):
            self.assertEqual(old, journal.from_dict(old).to_dict())
        # A create adds only what an older version reads with a default.
        self.assertEqual(dict(self.OLD_CREATE, quiesced=False),
                         journal.from_dict(self.OLD_CREATE).to_dict())

    def test_phases(self):
        entry = journal.from_dict(dict(
            self.OLD_CREATE, overlays={'vda': OV1, 'vdb': 'b1'}))
        self.assertEqual(journal.INTENT, entry.phase([]))
        self.assertEqual(journal.TORN, entry.phase(['vdb']))
        self.assertEqual(journal.SWITCHED, entry.phase(['vda', 'vdb']))
        self.assertEqual(journal.STARTED, journal.Merge.phase(False))
        self.assertEqual(journal.TOOK_EFFECT, journal.Merge.phase(True))
