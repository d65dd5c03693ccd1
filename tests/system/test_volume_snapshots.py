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

"""Cinder snapshots of an in-use NFS volume, driven by Cinder itself.

``openstack volume snapshot create --force`` makes Cinder's NFS driver ask
Nova's ``os-assisted-volume-snapshots`` API, which calls this driver in
nova-compute; the deletes go the same way (the driver merges with an
indexed blockCommit or blockRebase). Each step is checked in the guest (the
volume reads back what was written), on the share (each snapshot's file
chain holds the volume as it was when the snapshot was taken, and nothing
else lies there) and in Cinder's own records.
"""

import copy
import json
import os
import subprocess
from xml.etree import ElementTree

from tests.system import base

CHUNKS = 8


class CinderDrivenSnapshotsTest(base.CloudTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot('e2e-volsnap')
        self.agent = self.wait_agent(self.server)
        self.volume = self.volume('e2e-volsnap')
        self.device = self.attach(self.server, self.volume, self.agent)
        self.share = os.path.join(base.CLOUD_DIR, 'nfs-export')
        self.current = {}
        self.snaps = {}  # Cinder's snapshot id -> the data it holds

    def write(self, byte):
        """One new chunk, one overwritten: each snapshot differs."""
        for chunk in (byte % CHUNKS, (byte * 3 + 1) % CHUNKS):
            base.write_chunk(self.agent, self.device, chunk, byte)
            self.current[chunk] = byte

    def info(self):
        """Cinder's record of the volume's files, None before the first
        snapshot."""
        path = os.path.join(self.share, 'volume-%s.info' % self.volume)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    def verify(self, step):
        self.mark(step)
        self.assertEqual([], base.mismatches(self.agent, self.device,
                                             self.current, CHUNKS),
                         'the volume in the guest, %s' % step)
        info = self.info()
        for snap, data in self.snaps.items():
            self.assertEqual('available', self.status('snapshot', snap),
                             step)
            # Cinder's file for a snapshot is the overlay made when it was
            # taken: the snapshot's data is that overlay's backing chain.
            overlay = os.path.join(self.share, info[snap])
            backing = json.loads(subprocess.run(
                ['qemu-img', 'info', '-U', '--output=json', overlay],
                capture_output=True, text=True, check=True).stdout)[
                    'backing-filename']
            self.assertEqual([], base.image_mismatches(
                os.path.join(self.share, backing), data, CHUNKS),
                'snapshot %s, %s' % (snap, step))
        mine = sorted(n for n in os.listdir(self.share)
                      if n.startswith('volume-%s' % self.volume))
        active = self.active_file()
        chain = self.chain(active)
        if info is None:
            self.assertEqual(['volume-%s' % self.volume], chain, step)
            self.assertEqual(chain, mine, step)
        else:
            # Once the last snapshot is gone the volume may live on in a
            # file named for a snapshot: .info's "active" says which.
            self.assertEqual(active, info['active'], step)
            self.assertEqual(sorted(set(self.snaps) | {'active'}),
                             sorted(info), step)
            self.assertLessEqual(set(info.values()), set(chain), step)
            self.assertEqual(len(self.snaps) + 1, len(chain), step)
            self.assertEqual(sorted(chain + ['volume-%s.info' % self.volume]),
                             mine, 'files on the share, %s' % step)

    def chain(self, name):
        """The files of ``name``'s backing chain on the share."""
        out = subprocess.run(
            ['qemu-img', 'info', '-U', '--backing-chain', '--output=json',
             os.path.join(self.share, name)],
            capture_output=True, text=True, check=True).stdout
        return sorted(os.path.basename(image['filename'])
                      for image in json.loads(out))

    def active_file(self):
        """The file of the volume that the domain writes to now."""
        xml = self.domain(self.server).XMLDesc(0)
        for source in ElementTree.fromstring(xml).iter('source'):
            name = os.path.basename(source.get('file') or '')
            if name.startswith('volume-%s' % self.volume):
                return name
        self.fail('volume %s is not in the domain: %s' % (self.volume, xml))

    def snapshot(self, name):
        snap = self.openstack(
            # From volume API 3.66 Cinder snapshots in-use volumes; the
            # client drops --force below it.
            '--os-volume-api-version', '3.66', 'volume', 'snapshot',
            'create', '--force', '--volume', self.volume, name)['id']
        self.addCleanup(self._delete_snapshot, snap)
        self.wait_status('snapshot', snap, 'available')
        self.snaps[snap] = copy.deepcopy(self.current)
        return snap

    def delete(self, snap, step):
        self.openstack('volume', 'snapshot', 'delete', snap, parse=False)
        self.wait_status('snapshot', snap, None)
        del self.snaps[snap]
        self.verify(step)

    def _delete_snapshot(self, snap):
        if self.status('snapshot', snap) is None:
            return
        self.admin('volume', 'snapshot', 'delete', '--force', snap,
                   parse=False)

    def test_four_snapshots_then_middle_oldest_newest_last(self):
        self.write(1)
        self.verify('before any snapshot')
        order = []
        for byte in (2, 3, 4, 5):
            order.append(self.snapshot('e2e-s%d' % byte))
            self.write(byte)
            self.verify('after snapshot %d and a write' % len(order))
        s1, s2, s3, s4 = order
        self.delete(s2, 'after deleting the middle snapshot')
        self.write(6)
        self.delete(s1, 'after deleting the oldest snapshot')
        self.write(7)
        self.delete(s4, 'after deleting the newest snapshot')
        self.delete(s3, 'after deleting the last snapshot')
        self.write(8)
        self.verify('after the last write')
