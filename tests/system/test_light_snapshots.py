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

"""Light snapshots of instances that Nova built: root, ephemeral disk, swap
and a Cinder volume, driven with ``openstack light`` through Keystone and
the catalog, and Nova's own operations with snapshots present.

Inside the guest the root disk is a file system on which each step writes a
file; the volume and the ephemeral disk get raw chunks. After every step the
guest must show exactly the files of the point it is at, and the volume and
the ephemeral disk (which light snapshots do not cover) exactly what was
last written to them.
"""

import os
import subprocess
import tempfile

from tests.system import base

CHUNKS = 4
EPHEMERAL = '/dev/vdb'  # Nova's order: root, ephemeral, swap, volumes
RESIZE_FLAVOR = 'lightsnap.tiny.resize'


class LightSnapshotsTest(base.CloudTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot(self.id().rsplit('.', 1)[-1][:40],
                                '--property', 'lightsnap_enable=true')
        self.agent = self.wait_agent(self.server)
        self.assertEqual(['vda', 'vdb', 'vdc'], sorted(
            d for d in self.block_devices(self.agent) if d.startswith('vd')))
        self.volume = self.volume('e2e-light')
        self.device = self.attach(self.server, self.volume, self.agent)
        self.files = {}
        self.snaps = {}  # name -> the files it holds
        self.raw = {self.device: {}, EPHEMERAL: {}}
        # Nova formatted the ephemeral disk: the chunks checked start zeroed
        # (the guest uses it raw).
        for chunk in range(CHUNKS):
            base.write_chunk(self.agent, EPHEMERAL, chunk, 0)
        self.count = 0
        self.stored = set()

    # -- data ---------------------------------------------------------------

    def write(self):
        """A new file on the root disk, a chunk on the volume and one on
        the ephemeral disk."""
        self.count += 1
        name, text = 'k-%d' % self.count, 'written-%d' % self.count
        base.write_file(self.agent, name, text)
        self.files[name] = text
        for device in self.raw:
            chunk = self.count % CHUNKS
            byte = (0x20 if device == EPHEMERAL else 0x40) + self.count
            base.write_chunk(self.agent, device, chunk, byte)
            self.raw[device][chunk] = byte

    def verify(self, step):
        self.mark(step)
        self.assertEqual(self.files, base.read_files(self.agent),
                         'the root disk in the guest, %s' % step)
        for device, expected in self.raw.items():
            self.assertEqual([], base.mismatches(self.agent, device,
                                                 expected, CHUNKS),
                             '%s in the guest, %s' % (device, step))
        listed = {s['name']: s['state'] for s in
                  self.light_client().list_snapshots(self.server)}
        self.assertEqual(
            {name: 'stored' if name in self.stored else 'available'
             for name in self.snaps}, listed, step)

    def guest_restarted(self):
        self.agent = self.wait_agent(self.server)

    # -- operations ---------------------------------------------------------

    def light(self, *args, **kwargs):
        return self.openstack('light', *args, **kwargs)

    def create(self, name):
        snap = self.light('snapshot', 'create', self.server, '--name', name,
                          '--wait')
        self.assertEqual('available', snap['state'], snap)
        self.snaps[name] = dict(self.files)

    def revert(self, name):
        self.light('snapshot', 'revert', self.server, name, '--wait')
        self.files = dict(self.snaps[name])
        self.guest_restarted()

    def delete(self, name, store=False):
        """``store``: the instance keeps deleted snapshots, stored."""
        self.light('snapshot', 'delete', self.server, name, '--wait',
                   parse=False)
        if store:
            self.stored.add(name)
        else:
            del self.snaps[name]

    def nova(self, *args, status='active'):
        self.openstack('server', *(args + (self.server,)), parse=False)
        self.wait_status('server', self.server, status)

    # -- tests --------------------------------------------------------------

    def test_create_delete_revert_commit_all(self):
        self.write()
        for name in ('s1', 's2', 's3'):
            self.create(name)
            self.write()
            self.verify('after creating %s and a write' % name)
        self.delete('s2')
        self.verify('after deleting s2 (an intermediate merge)')
        self.revert('s1')
        self.verify('after reverting to s1')
        self.write()
        self.revert('s3')
        self.verify('after reverting to s3, past the deleted s2')
        self.write()
        self.create('s4')
        self.delete('s3')
        self.verify('after deleting s3 under s4')
        self.light('instance', 'commit-all', self.server, '--wait',
                   parse=False)
        self.snaps = {}
        self.verify('after commit-all')
        self.write()
        self.create('s5')
        self.revert('s5')
        self.verify('after a snapshot and a revert past the commit-all')

    def test_nova_operations_with_snapshots_present(self):
        self.write()
        self.create('s1')
        self.write()
        self.admin('light', 'instance', 'set', '--store', self.server,
                   parse=False)
        self.create('s2')
        self.write()
        self.nova('reboot', '--hard', '--wait')
        self.guest_restarted()
        self.verify('after a hard reboot')
        self.nova('stop', status='shutoff')
        self.nova('start')
        self.guest_restarted()
        self.verify('after stop and start')

        # With the store on, a deleted snapshot stays, stored.
        self.delete('s1', store=True)
        self.verify('after storing s1')

        # A resize commits every snapshot but the stored ones.
        self._resize_flavor()
        self.nova('resize', '--flavor', RESIZE_FLAVOR, '--wait',
                  status='verify_resize')
        self.nova('resize', 'confirm')
        self.guest_restarted()
        del self.snaps['s2']
        self.verify('after a resize to the same host')
        self.revert('s1')
        self.verify('after reverting to the stored s1 past the resize')

        # Nova's image snapshot of the instance, its volume attached.
        self.write()
        image = self.openstack('server', 'image', 'create', '--wait',
                               '--name', 'e2e-image', self.server)
        self.addCleanup(self.openstack, 'image', 'delete', image['id'],
                        parse=False)
        self.assertEqual(self.files, self._image_files(image['id']))
        self.verify('after the image snapshot')

    def _resize_flavor(self):
        try:
            self.admin('flavor', 'show', RESIZE_FLAVOR)
        except base.CommandFailed:
            # As lightsnap.tiny, with more memory.
            self.admin('flavor', 'create', '--ram', '320', '--vcpus', '1',
                       '--disk', '1', '--ephemeral', '1', '--swap', '64',
                       '--public', RESIZE_FLAVOR)

    def _image_files(self, image):
        """The /k-* files of a Glance image of the root disk."""
        with tempfile.TemporaryDirectory() as tmp:
            saved = os.path.join(tmp, 'image')
            self.openstack('image', 'save', '--file', saved, image,
                           parse=False)
            raw = os.path.join(tmp, 'raw')
            subprocess.run(['qemu-img', 'convert', '-O', 'raw', saved, raw],
                           check=True)
            names = subprocess.run(
                ['debugfs', '-R', 'ls -l /', raw], capture_output=True,
                text=True, check=True).stdout.split()
            files = {}
            for name in names:
                if name.startswith('k-'):
                    files[name] = subprocess.run(
                        ['debugfs', '-R', 'cat /%s' % name, raw],
                        capture_output=True, text=True,
                        check=True).stdout.strip()
            return files
