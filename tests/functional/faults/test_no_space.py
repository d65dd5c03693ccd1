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

"""No space left on the file system that holds the disks and overlays.

The test mounts a small tmpfs of its own, makes the domain's disks on it,
fills it with a filler file to the point wanted, and unmounts it at the
end. Each case: a clear error, the chain and the metadata unchanged, the
domain still running, and the operation works once there is room again.
"""

import json
import os
import subprocess
import tempfile
import time

from nova_lightsnap.engine import errors
from tests.functional.faults import base
from tests.support import domains

FS_SIZE = 12 * base.MiB


class NoSpaceTest(base.FaultTestCase):
    disks = {'vda': 'file'}

    def setUp(self):
        os.makedirs(domains.TEST_DIR, exist_ok=True)
        self.mount = tempfile.mkdtemp(prefix='enospc-', dir=domains.TEST_DIR)
        subprocess.run(['mount', '-t', 'tmpfs', '-o',
                        'size=%d,mode=0755' % FS_SIZE, 'lightsnap-enospc',
                        self.mount], check=True)
        try:
            # Cleanups run last in, first out: the domain (and its QEMU,
            # which holds the files open) goes before the unmount.
            self.addCleanup(os.rmdir, self.mount)
            self.addCleanup(self.unmount)
            self.patch(domains, 'TEST_DIR', self.mount)
            super().setUp()
        except BaseException:
            self.doCleanups()
            raise
        self.filler = os.path.join(self.mount, 'filler')

    def unmount(self):
        # QEMU's last file handles go a moment after the domain does.
        for _ in range(40):
            if subprocess.run(['umount', self.mount],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.25)
        subprocess.run(['umount', '-l', self.mount], check=True)

    def fill_up(self, leave):
        """Leave about ``leave`` bytes free."""
        with open(self.filler, 'ab') as handle:
            handle.write(b'\0' * max(0, self.free() - leave))
        self.assertLessEqual(self.free(), leave + 64 * 1024)

    def free(self):
        stat = os.statvfs(self.mount)
        return stat.f_bavail * stat.f_frsize

    def make_room(self):
        os.unlink(self.filler)

    def unchanged(self):
        """What a refused operation must leave as it was."""
        files = self.vm.local_files()
        chain = [i.ref for i in self.vm.disks()['vda'].chain]
        with open(self.state_file_path()) as handle:
            metadata = json.load(handle)
        # A refused create may use up an overlay number, nothing else.
        metadata.pop('next_index')
        return files, chain, metadata

    def state_file_path(self):
        return self.host.registry.find_domain(self.vm.name)['state']

    def assert_refused(self, err, before):
        self.assertIn('lightsnap: error:', err)
        self.assertIn('No space left on device', err)
        self.assertNotIn('Traceback', err)
        self.assertEqual(before, self.unchanged())
        self.assertTrue(self.vm.domain.isActive())

    def test_no_room_for_the_overlay(self):
        self.write_and_create('s1')
        self.fill_up(4 * 1024)
        before = self.unchanged()
        proc = self.cli('create', self.vm.name, '--name', 's2')
        self.assertNotEqual(0, proc.returncode)
        self.assert_refused(proc.stderr, before)
        self.make_room()
        self.create('s2')
        self.verify('after a snapshot with room again')

    def test_no_room_for_a_merge(self):
        self.write('vda', 0)
        self.create('s1')
        self.fill_layer('vda', 4 * base.MiB, 71)
        self.fill_up(1 * base.MiB)
        before = self.unchanged()
        proc = self.cli('delete', self.vm.name, 's1')
        self.assertEqual(1, proc.returncode)
        self.assertIn('No space left on device', proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)
        self.assertTrue(self.vm.domain.isActive())
        self.assertEqual(before[:2], self.unchanged()[:2])
        # The name is gone, its layer stays until a merge succeeds; the
        # journal could not even be cleared, the next run does it.
        self.model.delete('s1')
        self.make_room()
        report = self.ok('create', self.vm.name, '--name', 's2').stderr
        self.model.create('s2')
        self.assertIn('interrupted before it took effect', report)
        self.verify('after the failed merge')
        self.delete('s2')
        self.verify('after merging with room again')
        self.assert_single_images()

    def test_no_room_for_the_metadata(self):
        self.write_and_create('s1')
        self.fill_up(0)
        before = self.unchanged()
        for args in (('create', self.vm.name, '--name', 's2'),
                     ('delete', self.vm.name, 's1')):
            proc = self.cli(*args)
            self.assertNotEqual(0, proc.returncode, args)
            self.assert_refused(proc.stderr, before)
        self.assertRaises(errors.LightSnapError, self.dom().create, 's2')
        self.make_room()
        self.create('s2')
        self.verify('after a snapshot with room again')
