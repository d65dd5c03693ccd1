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

"""Name validation and the metadata file."""

import os
import tempfile

from hypothesis import given
from hypothesis import strategies as st

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import layout
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import state
from nova_lightsnap import names

from tests.support import testcase


class NamesTest(testcase.TestCase):

    def test_plain_names_pass(self):
        for name in ('s1', 'before-upgrade', 'daily.2026-11-21', 'A_b'):
            self.assertEqual(name, names.check_snapshot_name(name))

    def test_path_like_and_odd_names_are_refused(self):
        for name in ('', '../x', '/etc/x', 'a/b', '.x', '-x', 'x' * 65,
                     'a\0b', 'caf\u00e9', 'a b', '..', 'a..b', 's1\n', None,
                     3):
            self.assertRaises(errors.InvalidInput,
                              names.check_snapshot_name, name)

    @given(st.text(max_size=80))
    def test_nothing_accepted_can_leave_the_directory(self, name):
        try:
            names.check_snapshot_name(name)
        except errors.InvalidInput:
            return
        self.assertNotIn('/', name)
        self.assertNotIn('\0', name)
        self.assertFalse(name.startswith('.'))
        self.assertEqual(os.path.basename(name), name)

    @given(st.text(max_size=300))
    def test_basenames_stay_basenames(self, name):
        try:
            names.check_basename(name)
        except errors.InvalidInput:
            return
        self.assertEqual(os.path.basename(name), name)
        self.assertNotIn(name, ('.', '..'))

    def test_overlay_names(self):
        self.assertEqual('disk.ls0007.qcow2',
                         layout.overlay_name('disk', 7))
        self.assertEqual('vm-vda.ls0012.qcow2',
                         layout.overlay_name('vm-vda.qcow2', 12))

    def test_layer_index(self):
        self.assertEqual(7, layout.layer_index('disk.ls0007.qcow2'))
        self.assertEqual(12345, layout.layer_index('vm.ls12345.qcow2'))
        self.assertIsNone(layout.layer_index('disk'))

    def test_kept_names_stay_in_the_store(self):
        self.assertEqual('u.lightsnap-store/s1/vda-disk.ls0001.qcow2',
                         layout.kept_name('u', 's1', 'vda',
                                          'disk.ls0001.qcow2'))


class SnapshotXmlTest(testcase.TestCase):

    def test_uncovered_disks_are_listed_as_no(self):
        xml = merge.snapshot_xml(
            {'vda': ImageRef('file', "/i/disk.ls0001'.qcow2")},
            uncovered={'vdb', 'hda'})
        self.assertEqual(
            "<domainsnapshot><disks>"
            "<disk name='hda' snapshot='no'/>"
            "<disk name='vdb' snapshot='no'/>"
            "<disk name='vda' snapshot='external' type='file'>"
            "<driver type='qcow2'/>"
            "<source file='/i/disk.ls0001&apos;.qcow2'/></disk>"
            "</disks></domainsnapshot>", xml)


class StateFileTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(lambda: [os.unlink(os.path.join(self.dir, f))
                                 for f in os.listdir(self.dir)])
        self.file = state.StateFile(os.path.join(self.dir, 'x.json'))

    def test_round_trip(self):
        st_ = state.DomainState(
            uuid='u', name='n', next_index=3,
            disks={'vda': state.DiskState(
                'vda', ImageRef('file', '/d/a.qcow2'), 10,
                {'a.qcow2': None}, {'a.qcow2': 'qcow2'}, 'a.qcow2')},
            snapshots=[state.Snapshot('s', 't', {'vda': 'a.qcow2'})],
            garbage=[ImageRef('file', '/d/z')])
        self.file.save(st_)
        self.assertEqual(st_, self.file.load())
        self.assertEqual(['x.json'], os.listdir(self.dir))

    def test_a_kept_disk_is_no_live_name(self):
        root = ImageRef('file', '/d/disk')
        st_ = state.DomainState(
            uuid='u', name='n', next_index=3,
            disks={t: state.DiskState(t, root, 10, {}, {}, 'x')
                   for t in ('vda', 'vdb')},
            snapshots=[state.Snapshot(
                's', 't', {'vda': 'disk', 'vdb': 'disk'}, stored=True,
                kept={'vda': 'u.lightsnap-store/s/vda-disk'})])
        snap = st_.snapshots[0]
        self.assertEqual((set(), {'disk'}), (st_.named_layers('vda'),
                                             st_.named_layers('vdb')))
        self.assertEqual('/d/u.lightsnap-store/s/vda-disk',
                         st_.layer_ref(snap, 'vda').path)
        self.assertEqual('/d/disk', st_.layer_ref(snap, 'vdb').path)
        self.file.save(st_)
        self.assertEqual(st_, self.file.load())

    def test_metadata_without_kept_files_loads(self):
        data = {'format': 1, 'uuid': 'u', 'name': 'n', 'next_index': 2,
                'disks': {}, 'snapshots': [
                    {'name': 's', 'created_at': 't', 'layers': {},
                     'quiesced': False, 'set': None, 'stored': True}]}
        self.assertEqual({}, state.DomainState.from_dict(
            data).snapshots[0].kept)

    def test_lock_is_exclusive_and_says_who_holds_it(self):
        with self.file.locked('dom'):
            exc = self.assertRaises(errors.Busy, self.file.locked('dom')
                                    .__enter__)
            self.assertIn(str(os.getpid()), str(exc))
        with self.file.locked('dom'):
            pass
