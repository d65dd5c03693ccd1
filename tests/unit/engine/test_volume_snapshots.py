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

"""The shut-off path on real images: qemu-img and qemu-io, no libvirt.

Cinder's chain is built the way its remotefs driver builds it (raw base,
qcow2 overlays with relative backing names), each layer gets its own
pattern, and after each delete every cluster still reads what it read
before. Local files only; the gluster:// spelling is covered by the mocked
tests and by the functional tests.
"""

import json
import os
import shutil
import subprocess
import tempfile
from unittest import mock

import testtools

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import volume_snapshots

from tests.support import testcase

VOLUME_ID = '5b4b3d0c-5ae2-4b2c-9d4c-1f9b0a3c2e11'
MIB = 1024 * 1024


def run(*cmd, cwd=None):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          cwd=cwd).stdout


def domain_xml(path):
    return ("<domain type='qemu'><name>off</name><devices>"
            "<disk type='file' device='disk'><driver name='qemu' "
            "type='qcow2'/><source file='%s'/><target dev='vdb' "
            "bus='virtio'/><serial>%s</serial></disk></devices></domain>"
            % (path, VOLUME_ID))


@testtools.skipUnless(shutil.which('qemu-img') and shutil.which('qemu-io'),
                      'needs qemu-img and qemu-io (qemu-utils)')
class OfflineQemuImgTestCase(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix='lightsnap-offline-')
        self.addCleanup(shutil.rmtree, self.dir)
        # volume-1 (raw): 0x11 at 0-1M; snap-a: 0x22 at 1M; snap-b: 0x33
        # at 2M and 0x34 over 0x11 at 0; active .snap-c: 0x44 at 3M.
        base = self.path('volume-1')
        run('qemu-img', 'create', '-q', '-f', 'raw', base, '8M')
        self.write(base, 0x11, 0, 'raw')
        self.layers = ['volume-1']
        for name, writes in (('volume-1.snap-a', [(0x22, MIB)]),
                             ('volume-1.snap-b', [(0x33, 2 * MIB),
                                                  (0x34, 0)]),
                             ('volume-1.snap-c', [(0x44, 3 * MIB)])):
            below = self.layers[-1]
            run('qemu-img', 'create', '-q', '-f', 'qcow2', '-F',
                'raw' if below == 'volume-1' else 'qcow2', '-b', below,
                name, cwd=self.dir)
            for pattern, offset in writes:
                self.write(self.path(name), pattern, offset)
            self.layers.append(name)
        self.expected = {0: 0x34, MIB: 0x22, 2 * MIB: 0x33, 3 * MIB: 0x44,
                         4 * MIB: 0}
        self.conn = mock.Mock()
        self.dom = mock.Mock()
        self.dom.isActive.return_value = 0
        self.dom.name.return_value = 'off'
        self.dom.XMLDesc.side_effect = lambda flags=0: domain_xml(
            self.path(self.layers[-1]))
        self.snaps = volume_snapshots.VolumeSnapshots(self.conn)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, path, pattern, offset, fmt='qcow2'):
        run('qemu-io', '-f', fmt, '-c',
            'write -P %d %d %d' % (pattern, offset, MIB), path)

    def assert_reads(self, name):
        for offset, pattern in self.expected.items():
            run('qemu-io', '-f', 'qcow2', '-r', '-c',
                'read -P %d %d %d' % (pattern, offset, MIB), self.path(name))

    def chain(self, name):
        out = run('qemu-img', 'info', '--output=json', '--backing-chain',
                  '-U', self.path(name))
        return [entry['backing-filename'] for entry in json.loads(out)
                if 'backing-filename' in entry]

    def delete(self, file_to_merge, merge_target_file):
        self.snaps.delete(self.dom, VOLUME_ID, {
            'type': 'qcow2', 'file_to_merge': file_to_merge,
            'merge_target_file': merge_target_file})

    def test_intermediate_commit(self):
        # Cinder deleting snap-b's snapshot: commit .snap-b into .snap-a.
        self.delete('volume-1.snap-b', 'volume-1.snap-a')
        self.assertEqual(['volume-1.snap-a', 'volume-1'],
                         self.chain('volume-1.snap-c'))
        self.assert_reads('volume-1.snap-c')
        self.conn.defineXML.assert_not_called()

    def test_pull_into_active(self):
        # Deleting the newest snapshot: pull .snap-b into the active image,
        # which then stands on .snap-a, with a relative name.
        self.delete('volume-1.snap-a', None)
        self.assertEqual(['volume-1.snap-a', 'volume-1'],
                         self.chain('volume-1.snap-c'))
        self.assert_reads('volume-1.snap-c')

    def test_pull_everything(self):
        self.delete(None, None)
        self.assertEqual([], self.chain('volume-1.snap-c'))
        self.assert_reads('volume-1.snap-c')

    def test_commit_into_raw_base(self):
        self.delete('volume-1.snap-a', 'volume-1')
        self.assertEqual(['volume-1.snap-b', 'volume-1'],
                         self.chain('volume-1.snap-c'))
        self.assert_reads('volume-1.snap-c')

    def test_refused_names_change_nothing(self):
        before = {n: os.stat(self.path(n)).st_mtime_ns for n in self.layers}
        for to_merge, target in (('volume-9', None),
                                 ('volume-1', 'volume-1.snap-a'),
                                 ('../volume-1', None)):
            self.assertRaises(errors.InvalidInput, self.delete, to_merge,
                              target)
        self.assertEqual(before, {n: os.stat(self.path(n)).st_mtime_ns
                                  for n in self.layers})
        self.assert_reads('volume-1.snap-c')
