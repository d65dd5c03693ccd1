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

"""Cinder's remotefs sequence against a running domain on real libvirt.

The test plays Cinder's part as its remotefs drivers do (``.info`` file,
overlays pre-created with ``qemu-img create`` and a relative backing name,
``delete_info`` worked out as ``_delete_snapshot_online`` does) and leaves
the disk work to ``volume_snapshots``, the code LightSnapLibvirtDriver
delegates ``volume_snapshot_create``/``_delete`` to. Four snapshots are
deleted middle, oldest, newest (pull onto a base) and last (pull with a
null base), and every remaining snapshot's data is read back each time.
"""

import json
import os
import shutil
import tempfile
import uuid

from nova_lightsnap import chain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap.gluster import gfapi
from tests.functional import base
from tests.support import domains
from tests.support import testcase

REGIONS = 8


class FakeCinder:
    """The share-side half of Cinder's remotefs snapshot logic, and what
    each of its snapshots must read back.

    ``nova`` is the VolumeSnapshots Nova's driver delegates to; ``model``
    (tests.functional.base.Model) holds what the guest wrote.
    """

    def __init__(self, vm, target, volume_id, nova, model, regions=REGIONS):
        self.vm = vm
        self.target = target
        self.volume_id = volume_id
        self.nova = nova
        self.model = model
        self.regions = regions
        root = vm.roots[target]
        self.root = root
        self.info = {'active': root.basename}
        self.expected = {}  # snapshot id -> content at that point
        self.write_info()

    def snapshot(self, snapshot_id):
        """Cinder's ``_create_snapshot_online``; the switch's result."""
        new_file = '%s.%s' % (self.root.basename, snapshot_id)
        self.create_overlay(new_file)
        result = self.nova.create(self.vm.domain, self.volume_id, new_file)
        self.record(snapshot_id, new_file)
        return result

    def record(self, snapshot_id, new_file):
        """What Cinder writes once Nova said the snapshot was taken."""
        self.info[snapshot_id] = new_file
        self.info['active'] = new_file
        self.write_info()
        self.expected[snapshot_id] = dict(self.model.current[self.target])

    def delete(self, snapshot_id):
        """Cinder's ``_delete_snapshot``; the kind of merge Nova did."""
        delete_info, file_to_delete = self.delete_info(snapshot_id)
        result = self.nova.delete(self.vm.domain, self.volume_id,
                                  delete_info)
        self.write_info()
        self.remove(file_to_delete)
        del self.expected[snapshot_id]
        return result['job']

    def verify(self, test, context):
        """Every snapshot reads back, the live disk holds the guest's data,
        and the files and chain are exactly what ``.info`` says."""
        backing = self.chain()
        for snapshot_id, content in self.expected.items():
            # A remotefs snapshot's data is the file below its overlay.
            below = backing[self.info[snapshot_id]]
            test.assertIsNotNone(below, context)
            bad = self.vm.mismatches(self.ref(below), content, self.regions)
            test.assertEqual([], bad, '%s: snapshot %s of %s' % (
                context, snapshot_id, self.target))
        self.vm.flush()
        disk = self.vm.disks()[self.target]
        test.assertEqual(self.ref(self.info['active']), disk.active.ref,
                         context)
        test.assertEqual([], self.vm.mismatches(
            disk.active.ref, self.model.current[self.target], self.regions),
            '%s: live volume %s' % (context, self.target))
        test.assertEqual(sorted(backing), self.files(), context)
        for below in backing.values():
            # Relative names as Cinder wrote them, and as the merges must
            # keep them.
            test.assertNotIn('/', below or '', context)
        if self.vm.domain.isActive():
            test.assertEqual(list(backing),
                             [i.ref.basename for i in disk.chain], context)
            if self.root.kind == 'gluster':
                owner = chain.dac_image_owner(self.vm.domain.XMLDesc(0))
                test.assertEqual(
                    {name: owner for name in backing},
                    {name: domains.gluster_owner(self.ref(name))
                     for name in backing}, context)

    def ref(self, name):
        return self.root.sibling(name)

    def write_info(self):
        data = json.dumps(self.info).encode()
        name = self.root.basename + '.info'
        if self.root.kind == 'file':
            with open(self.ref(name).path, 'wb') as handle:
                handle.write(data)
        else:
            vol = domains.gluster_volume()
            path = '/' + self.ref(name).path
            if vol.exists(path):
                vol.unlink(path)
            vol.write_file(path, data)

    def chain(self):
        """Backing of each file, read from the images as Cinder does."""
        out = {}
        name = self.vm.disks()[self.target].active.ref.basename
        while name:
            out[name] = self.backing_name(name) or None
            name = out[name]
        return out

    def backing_name(self, name):
        info = json.loads(domains.qemu_img(
            'info', '--output=json', '-U', domains.local_path(self.ref(name))))
        return info.get('backing-filename', '')

    def create_overlay(self, new_file):
        active = self.info['active']
        local = os.path.join(tempfile.mkdtemp(dir=self.vm.dir), new_file)
        domains.qemu_img('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                         active, '-u', local, domains.DISK_SIZE)
        if self.root.kind == 'file':
            os.chmod(local, 0o666)
            # Onto the share, which may be another file system (FUSE).
            shutil.move(local, self.ref(new_file).path)
        else:
            # root's, as Cinder leaves its files: the snapshot gives the
            # file libvirt's owner.
            domains.gluster_volume().copy_in(
                local, '/' + self.ref(new_file).path, mode=0o660,
                uid=0, gid=0, pad_to=gfapi.QEMU_GLUSTER_ALIGN)
            os.unlink(local)

    def delete_info(self, snapshot_id):
        """``_delete_snapshot`` + ``_delete_snapshot_online``, shortened."""
        backing = self.chain()
        snapshot_file = self.info[snapshot_id]
        base_file = backing[snapshot_file]
        base_id = next((k for k, v in self.info.items()
                        if v == base_file and k != 'active'), None)
        if self.info['active'] == snapshot_file:
            file_to_delete = base_file
            new_base = None if base_id is None else backing[base_file]
            if base_id is not None:
                self.info[base_id] = snapshot_file
            info = {'file_to_merge': new_base, 'merge_target_file': None}
        else:
            file_to_delete = snapshot_file
            info = {'file_to_merge': snapshot_file,
                    'merge_target_file': base_file}
        info.update(type='qcow2', volume_id=self.volume_id)
        del self.info[snapshot_id]
        return info, file_to_delete

    def remove(self, name):
        ref = self.ref(name)
        if ref.kind == 'file':
            os.unlink(ref.path)
        else:
            domains.gluster_volume().unlink('/' + ref.path)

    def files(self):
        if self.root.kind == 'file':
            names = os.listdir(self.root.dirname)
        else:
            names = domains.gluster_volume().listdir('/')
        prefix = self.root.basename
        return sorted(n for n in names
                      if n.startswith(prefix) and not n.endswith('.info'))


class RemoteFSSequenceTest(testcase.TestCase):
    timeout_seconds = 1200
    kind = 'file'
    running = True

    def setUp(self):
        super().setUp()
        self.volume_id = str(uuid.uuid4())
        self.vm = self.useFixture(domains.TestDomain(
            {'vda': 'file', 'vdb': self.kind},
            running=self.running, serials={'vdb': self.volume_id}))
        self.nova = volume_snapshots.VolumeSnapshots(self.vm.conn,
                                                     job_timeout=300)
        self.model = base.Model(['vdb'])
        self.cinder = FakeCinder(self.vm, 'vdb', self.volume_id, self.nova,
                                 self.model)
        self.expected = self.cinder.expected
        self.pattern = 0

    def write(self):
        self.pattern += 1
        region = self.pattern % REGIONS
        self.vm.write('vdb', region, self.pattern)
        self.model.write('vdb', region, self.pattern)

    def snapshot(self, snapshot_id):
        result = self.cinder.snapshot(snapshot_id)
        self.assertEqual(self.cinder.ref(self.cinder.info['active']).url,
                         result['active'])

    def delete(self, snapshot_id):
        return self.cinder.delete(snapshot_id)

    def verify(self, context):
        self.cinder.verify(self, context)

    def test_create_four_then_delete_middle_oldest_newest_last(self):
        for i in range(1, 5):
            self.write()
            self.write()
            self.snapshot('s%d' % i)
        self.write()
        self.verify('after four snapshots')

        self.assertEqual(volume_snapshots.COMMIT, self.delete('s2'))
        self.verify('after deleting the middle snapshot')
        self.assertEqual(volume_snapshots.COMMIT, self.delete('s1'))
        self.verify('after deleting the oldest snapshot')
        self.assertEqual(volume_snapshots.PULL, self.delete('s4'))
        self.verify('after deleting the newest snapshot (pull onto a base)')
        self.assertEqual(volume_snapshots.PULL, self.delete('s3'))
        self.verify('after deleting the last snapshot (pull, null base)')
        self.assertEqual([self.cinder.info['active']],
                         list(self.cinder.chain()))

    def test_hostile_names_are_refused_and_change_nothing(self):
        self.write()
        self.snapshot('s1')
        before = (self.cinder.files(), self.vm.disks()['vdb'].active.ref)
        for new_file in ('../x', '/etc/passwd', 'a/b', 'x\0y', '',
                         self.cinder.info['active']):
            self.assertRaises(errors.LightSnapError, self.nova.create,
                              self.vm.domain, self.volume_id, new_file)
        for info in ({'file_to_merge': '../../etc/passwd',
                      'merge_target_file': None},
                     {'file_to_merge': 'not-in-chain.qcow2',
                      'merge_target_file': self.cinder.root.basename},
                     {'file_to_merge': self.cinder.info['s1'],
                      'merge_target_file': '/abs/path'}):
            info.update(type='qcow2', volume_id=self.volume_id)
            self.assertRaises(errors.LightSnapError, self.nova.delete,
                              self.vm.domain, self.volume_id, info)
        self.assertEqual(before, (self.cinder.files(),
                                  self.vm.disks()['vdb'].active.ref))
        self.verify('after the refusals')


class GlusterRemoteFSSequenceTest(RemoteFSSequenceTest):
    """The gluster volume attached by our volume driver with libgfapi."""
    kind = 'volume'
    # Each libvirt call on a gluster image pays ~10-20 s of libgfapi
    # teardown here; the hostile-input case is covered on files.
    test_hostile_names_are_refused_and_change_nothing = None


class ShutOffRemoteFSSequenceTest(RemoteFSSequenceTest):
    """The instance is shut off, the volume attached: qemu-img does it."""
    running = False


class ShutOffGlusterRemoteFSSequenceTest(RemoteFSSequenceTest):
    kind = 'volume'
    running = False
    test_hostile_names_are_refused_and_change_nothing = None


class FuseRemoteFSSequenceTest(RemoteFSSequenceTest):
    """The gluster volume attached over FUSE by our volume driver
    (``gluster_transport = fuse``): a file disk on the mount."""
    kind = 'fuse'


class ShutOffFuseRemoteFSSequenceTest(RemoteFSSequenceTest):
    kind = 'fuse'
    running = False
