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

"""The metadata file beside the disks."""

import os
import tempfile

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import state

from tests.support import testcase


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
