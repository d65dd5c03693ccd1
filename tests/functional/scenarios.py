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

"""Scenarios every disk kind and domain state must pass, data verified."""

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import planner


class Scenarios:
    """Mixed into an ``EngineTestCase`` with its disks and state."""

    def kinds(self, steps):
        return [s.kind for s in steps]

    def test_delete_middle_oldest_newest(self):
        self.write_and_create('s1', 's2', 's3')
        self.verify('after three creates')

        steps = self.delete('s2')
        self.verify('after deleting the middle snapshot')
        expected = (planner.COMMIT if self.running
                    else planner.OFFLINE_COMMIT)
        self.assertEqual([expected] * len(self.disks), self.kinds(steps))

        steps = self.delete('s1')
        self.verify('after deleting the oldest snapshot')
        self.assertEqual([expected] * len(self.disks), self.kinds(steps))

        steps = self.delete('s3')
        self.verify('after deleting the newest snapshot')
        self.assertEqual(len(self.disks), len(steps))
        self.assert_single_images()

    def test_revert_keeps_every_snapshot(self):
        self.write_all()
        self.write_and_create('s1', 's2', 's3')
        self.revert('s1')
        self.verify('after revert to the oldest')
        self.assertEqual(self.running, bool(self.vm.domain.isActive()))
        self.write_all()
        self.create('s4')
        self.write_all()
        self.revert('s3')
        self.verify('after revert to a snapshot on the other branch')
        self.delete('s1')
        self.verify('after deleting a branch point')
        self.delete('s2')
        self.verify('after deleting a side branch')
        self.revert('s4')
        self.delete('s3')
        self.verify('after deleting the other branch')
        self.commit_all()
        self.verify('after commit-all')
        self.assert_single_images()

    def store(self, name):
        """Delete ``name`` with the store on: it stays, stored."""
        self.assertEqual({'deleted': name, 'stored': True},
                         self.dom().delete(name))

    def test_a_daily_store_keeps_the_live_chain_short(self):
        self.dom().set_flags(store=True)
        # A daily schedule keeping two days live: the older ones stored.
        for day in range(1, 7):
            self.write_all()
            self.create('day%d' % day)
            if day > 2:
                self.store('day%d' % (day - 2))
            st = self.state()
            for target, dstate in st.disks.items():
                # Two named layers and the active image, whatever the day.
                self.assertLessEqual(len(dstate.layers), 3, target)
            self.verify('day %d' % day)
        self.write_all()
        st = self.state()
        self.assertEqual(['day%d' % d for d in range(1, 5)],
                         [s.name for s in st.snapshots if s.stored])
        # day5's layer (the fourth overlay) was folded into the root
        # image, which day5 names now.
        self.assertEqual(4, st.root_index)
        self.assertEqual({t: d.root.basename for t, d in st.disks.items()},
                         st.snapshot('day5').layers)
        for target, disk in self.vm.disks().items():
            if self.running:
                self.assertEqual(3, len(disk.chain), target)
        self.verify('after six days')

        # Revertible, also back and forth; purging one leaves the others.
        self.revert('day1')
        self.write_all()
        self.verify('reverted to the stored day1')
        self.dom().delete('day2', purge=True)
        self.model.delete('day2')
        self.verify('purged the stored day2')
        self.revert('day3')
        self.verify('reverted to the stored day3')
        self.dom().delete('day1', purge=True)
        self.model.delete('day1')
        self.dom().delete('day4', purge=True)
        self.model.delete('day4')
        self.verify('purged day1 and day4')

        # An explicit commit-all folds everything and empties the store.
        self.commit_all()
        self.assertEqual([], self.store_files(self.state()))
        self.assert_single_images()
        self.verify('after commit-all')

    def test_commit_all_folds_everything_into_the_base(self):
        for name in ('a', 'b', 'c'):
            self.write_all()
            self.create(name)
        self.revert('b')
        self.write_all()
        self.create('d')
        self.write_all()
        self.commit_all()
        self.verify('after commit-all')
        self.assert_single_images()
        self.assertEqual([], self.snapshot_list())

    def test_export_is_standalone_and_holds_the_snapshot(self):
        self.write_all(2)
        self.create('s1')
        self.write_all(2)
        self.create('s2')
        self.write_all()
        dest = self.vm.dir + '/export-vda.qcow2'
        self.dom().export('s1', 'vda', dest)
        info = self._image_info(dest)
        self.assertNotIn('backing-filename', info)
        import os
        # The guest's data: for whoever exported it, no one else.
        self.assertEqual(0o600, os.stat(dest).st_mode & 0o777)
        from nova_lightsnap.chain import ImageRef
        self.assertEqual([], self.vm.mismatches(
            ImageRef('file', dest), self.model.snaps['s1']['vda'], 16))
        self.assertRaises(errors.InvalidInput, self.dom().export, 's1',
                          'vda', dest)
        self.assertRaises(errors.NotFound, self.dom().export, 's1', 'vdz',
                          dest + '2')
        os.unlink(dest)
        self.verify('after export')

    def _image_info(self, path):
        import json
        from tests.support import domains
        return json.loads(domains.qemu_img('info', '--output=json', path))

    def test_random_sequence_matches_the_model(self):
        names = []
        for step in range(self.random_steps):
            op = self.rng.choices(
                ['write', 'create', 'delete', 'revert', 'commit-all'],
                [4, 3, 2, 2, 0.3])[0]
            if op == 'write' or (op in ('delete', 'revert') and not names):
                self.write()
                continue
            if op == 'create':
                name = 'r%d' % step
                self.create(name)
                names.append(name)
            elif op == 'delete':
                name = self.rng.choice(names)
                self.delete(name)
                names.remove(name)
            elif op == 'revert':
                self.revert(self.rng.choice(names))
            else:
                self.commit_all()
                names = []
            self.verify('step %d (%s)' % (step, op))
