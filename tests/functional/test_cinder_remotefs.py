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
import tempfile
import uuid

from nova_lightsnap import volume_snapshots
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import gfapi
from tests.functional import base
from tests.support import domains
from tests.support import testcase

REGIONS = 8


class FakeCinder:
    """The share-side half of Cinder's remotefs snapshot logic."""

    def __init__(self, vm, target, volume_id):
        self.vm = vm
        self.target = target
        self.volume_id = volume_id
        root = vm.roots[target]
        self.root = root
        self.info = {'active': root.basename}
        self.write_info()

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
        with self.vm.readable(self.ref(name)) as path:
            info = json.loads(domains.qemu_img('info', '--output=json', '-U',
                                               path))
        return info.get('backing-filename', '')

    def create_overlay(self, new_file):
        active = self.info['active']
        local = os.path.join(tempfile.mkdtemp(dir=self.vm.dir), new_file)
        domains.qemu_img('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                         active, '-u', local, domains.DISK_SIZE)
        if self.root.kind == 'file':
            os.chmod(local, 0o666)
            os.rename(local, self.ref(new_file).path)
        else:
            domains.gluster_volume().copy_in(
                local, '/' + self.ref(new_file).path, mode=0o666,
                uid=64055, gid=64055, pad_to=gfapi.QEMU_GLUSTER_ALIGN)
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
        self.cinder = FakeCinder(self.vm, 'vdb', self.volume_id)
        self.nova = volume_snapshots.VolumeSnapshots(self.vm.conn,
                                                     job_timeout=300)
        self.model = base.Model(['vdb'])
        self.expected = {}  # snapshot id -> content at that point
        self.pattern = 0

    def write(self):
        self.pattern += 1
        region = self.pattern % REGIONS
        self.vm.write('vdb', region, self.pattern)
        self.model.write('vdb', region, self.pattern)

    def snapshot(self, snapshot_id):
        new_file = '%s.%s' % (self.cinder.root.basename, snapshot_id)
        self.cinder.create_overlay(new_file)
        result = self.nova.create(self.vm.domain, self.volume_id, new_file)
        self.assertEqual(self.cinder.ref(new_file).url, result['active'])
        self.cinder.info[snapshot_id] = new_file
        self.cinder.info['active'] = new_file
        self.cinder.write_info()
        self.expected[snapshot_id] = dict(self.model.current['vdb'])

    def delete(self, snapshot_id):
        delete_info, file_to_delete = self.cinder.delete_info(snapshot_id)
        result = self.nova.delete(self.vm.domain, self.volume_id,
                                  delete_info)
        self.cinder.write_info()
        self.cinder.remove(file_to_delete)
        del self.expected[snapshot_id]
        return result['job']

    def verify(self, context):
        backing = self.cinder.chain()
        for snapshot_id, content in self.expected.items():
            # A remotefs snapshot's data is the file below its overlay.
            below = backing[self.cinder.info[snapshot_id]]
            self.assertIsNotNone(below, context)
            bad = self.vm.mismatches(self.cinder.ref(below), content,
                                     REGIONS)
            self.assertEqual([], bad, '%s: snapshot %s' % (context,
                                                           snapshot_id))
        self.vm.flush()
        live = self.vm.disks()['vdb'].active.ref
        self.assertEqual(self.cinder.ref(self.cinder.info['active']), live)
        self.assertEqual([], self.vm.mismatches(
            live, self.model.current['vdb'], REGIONS), context)
        self.assertEqual(sorted(backing), self.cinder.files(), context)
        for name, below in backing.items():
            # Relative names as Cinder wrote them, and as the merges must
            # keep them.
            self.assertNotIn('/', below or '', context)
        if self.running:
            live = [i.ref.basename for i in self.vm.disks()['vdb'].chain]
            self.assertEqual(list(backing), live, context)

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
    kind = 'gluster'
    # Each libvirt call on a gluster image pays ~10-20 s of libgfapi
    # teardown here; the hostile-input case is covered on files.
    test_hostile_names_are_refused_and_change_nothing = None


class ShutOffRemoteFSSequenceTest(RemoteFSSequenceTest):
    """The instance is shut off, the volume attached: qemu-img does it."""
    running = False


class ShutOffGlusterRemoteFSSequenceTest(RemoteFSSequenceTest):
    kind = 'gluster'
    running = False
    test_hostile_names_are_refused_and_change_nothing = None
