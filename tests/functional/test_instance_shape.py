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

"""Light and volume snapshots of an instance shaped as Nova builds it.

Real libvirt/QEMU. The domain has what a Nova instance with two Cinder
volumes has: the root disk ``vda`` (Nova's qcow2 backend over ``_base``),
an ephemeral disk ``vdb`` and swap ``vdc`` beside it, a config drive (an
IDE CD-ROM), a file volume ``vdd`` (NFS/remotefs) and a gluster volume
``vde``. Light snapshots cover the root disk only, through the Nova side
(nova_lightsnap.virt.hooks); assisted volume snapshots of both volumes
run in between, as Cinder drives them. After every step every light
snapshot, every volume snapshot and every live disk reads back what was
written, and the volumes' chains are exactly what Cinder's ``.info`` says.
"""

import os
import threading
import uuid

from nova import exception as nova_exception
from nova.virt.libvirt import guest as libvirt_guest

from nova_lightsnap import chain
from nova_lightsnap.conf import lightsnap as lightsnap_conf
from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import planner
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap.virt import driver as lightsnap_driver
from tests.functional import base
from tests.functional import test_cinder_remotefs
from tests.functional import test_nova_hooks
from tests.support import domains

CONFIG_DRIVE = ("<disk type='file' device='cdrom'><driver name='qemu' "
                "type='raw'/><source file='{dir}/instances/disk.config'/>"
                "<target dev='hda' bus='ide'/><readonly/></disk>")


class InstanceShapeTest(test_nova_hooks.NovaHooksTestCase):
    disks = {'vda': 'file', 'vdb': 'file', 'vdc': 'file', 'vdd': 'file',
             'vde': 'gluster'}
    covered = ['vda']  # as the Nova side: the other disks keep their data
    timeout_seconds = 1800

    def domain_fixture(self):
        self.volume_ids = {'vdd': str(uuid.uuid4()),
                           'vde': str(uuid.uuid4())}
        return _ConfigDriveDomain(
            self.disks, nova_layout=True, serials=self.volume_ids,
            instance_files={'vdb': 'disk.eph0', 'vdc': 'disk.swap'},
            extra_xml=CONFIG_DRIVE)

    def setUp(self):
        super().setUp()
        nova = volume_snapshots.VolumeSnapshots(self.vm.conn,
                                                job_timeout=300)
        self.cinder = {t: test_cinder_remotefs.FakeCinder(
            self.vm, t, v, nova, self.model, regions=base.REGIONS)
            for t, v in self.volume_ids.items()}
        self.nova.after_spawn(self.instance)

    def volume_snapshots(self, snapshot_id, targets=('vdd', 'vde')):
        for target in targets:
            self.write(target)
            self.cinder[target].snapshot(snapshot_id)
            self.write(target)

    def verify(self, context=''):
        super().verify(context)
        for cinder in self.cinder.values():
            cinder.verify(self, context)
        # The light snapshots never touched the other disks.
        disks = self.vm.disks()
        for target in ('vdb', 'vdc'):
            self.assertEqual([self.vm.roots[target]],
                             [i.ref for i in disks[target].chain], context)
        self.assertIn("file='%s'" % self.vm.config_drive,
                      self.vm.domain.XMLDesc(0), context)
        self.assertEqual(['vda'], sorted(self.state().disks))

    def assert_no_leaks(self, context=''):
        # The instance directory also holds Nova's other disks.
        st = self.state()
        self.assertIsNone(st.journal, context)
        self.assertEqual([], st.garbage, context)
        local = {f for f in self.vm.local_files()
                 if f.startswith('disk') and
                 f not in ('disk.eph0', 'disk.swap')}
        self.assertEqual(sorted(st.disks['vda'].layers), sorted(local),
                         context)

    def test_light_and_volume_snapshots_interleaved(self):
        # Every call on the gluster volume costs libgfapi's 10-20 s
        # teardown here (issue 15): it takes two snapshots and two merges.
        self.write_all()
        self.create('s1')
        self.volume_snapshots('v1')
        self.verify('after the first light and volume snapshots')
        self.write_and_create('s2', 's3')
        self.volume_snapshots('v2', ['vdd'])
        self.write_and_create('s4')
        self.verify('after four light and three volume snapshots')

        self.assertEqual([planner.COMMIT], self.kinds(self.delete('s2')))
        self.verify('after an intermediate commit of the root disk')
        self.volume_snapshots('v3')
        self.assertEqual(volume_snapshots.COMMIT,
                         self.cinder['vdd'].delete('v2'))
        self.assertEqual(volume_snapshots.COMMIT,
                         self.cinder['vde'].delete('v1'))
        self.verify('after intermediate commits of both volumes')

        self.revert('s1')
        self.verify('after a revert of the root disk')
        self.write_all()
        self.volume_snapshots('v4', ['vdd'])
        self.verify('after a volume snapshot on the reverted instance')

        # The newest snapshot of the branch: its small layer pulled up,
        # then a small active image committed down.
        self.write('vda', 0)
        self.create('s5')
        for region in range(1, 11):
            self.write('vda', region)
        self.assertEqual([planner.PULL], self.kinds(self.delete('s5')))
        self.verify('after a pull of the root disk')
        self.create('s6')
        self.write('vda', 11)
        self.assertEqual([planner.COMMIT_ACTIVE],
                         self.kinds(self.delete('s6')))
        self.verify('after an active commit of the root disk')
        self.assertEqual(volume_snapshots.PULL,
                         self.cinder['vdd'].delete('v4'))
        self.verify('after a pull on the file volume')

        # Shut off, as Nova stops an instance: qemu-img does the merges.
        self.vm.domain.destroy()
        self.create('s7')
        self.write('vda')
        self.volume_snapshots('v6', ['vdd'])
        self.assertEqual([planner.OFFLINE_COMMIT],
                         self.kinds(self.delete('s7')))
        self.verify('after an offline commit of the root disk')
        self.vm.domain.create()
        self.verify('after the start')

        dest = os.path.join(self.vm.dir, 'export-s3.qcow2')
        self.dom().export('s3', 'vda', dest)
        self.assertEqual([], self.vm.mismatches(
            chain.ImageRef('file', dest), self.model.snaps['s3']['vda'],
            base.REGIONS))
        image = os.path.join(self.vm.dir, 'image.raw')
        self.nova.image_snapshot(self.instance, image, 'raw', False)
        self.assertEqual([], self.vm.mismatches(
            chain.ImageRef('file', image), self.model.current['vda'],
            base.REGIONS, fmt='raw'))
        self.volume_snapshots('v5', ['vdd'])
        self.verify('after an export and Nova\'s image snapshot')

        self.commit_all()
        self.verify('after commit-all')
        # The root image on Nova's _base again.
        self.assertEqual(2, len(self.vm.disks()['vda'].chain))
        for target, cinder in sorted(self.cinder.items()):
            for snapshot_id in sorted(cinder.expected):
                cinder.delete(snapshot_id)
            self.assertEqual([cinder.info['active']], list(cinder.chain()))
            cinder.verify(self, 'after deleting every snapshot of %s'
                          % target)

    def kinds(self, steps):
        return [s.kind for s in steps]


class _ConfigDriveDomain(domains.TestDomain):
    """Nova's config drive: a raw image on an IDE CD-ROM, read-only."""

    def _setUp(self):
        self.config_drive = None
        super()._setUp()

    def _make_disk(self, target, kind):
        if self.config_drive is None:
            self.config_drive = os.path.join(self.instances_path,
                                             'disk.config')
            os.makedirs(self.instances_path, mode=0o755, exist_ok=True)
            domains.qemu_img('create', '-q', '-f', 'raw', self.config_drive,
                             1024 * 1024)
            os.chmod(self.config_drive, 0o644)
        return super()._make_disk(target, kind)


class OneLockForBothKindsTest(test_nova_hooks.NovaHooksTestCase):
    """A revert and an assisted volume snapshot started together, both
    orders, through the driver's volume-snapshot code on real libvirt."""

    disks = {'vda': 'file', 'vdb': 'file'}
    covered = ['vda']

    def domain_fixture(self):
        self.volume_id = str(uuid.uuid4())
        return domains.TestDomain(self.disks, nova_layout=True,
                                  serials={'vdb': self.volume_id})

    def setUp(self):
        super().setUp()
        self.driver = object.__new__(lightsnap_driver.LightSnapLibvirtDriver)
        self.driver._host = self.nova.locator.driver._host
        self.driver.lightsnap = self.nova
        # Quiesce follows Nova's image properties; these domains have no
        # agent.
        self.patch(self.driver, '_volume_snapshot_quiesce',
                   lambda instance: (False, False))
        self.cinder = test_cinder_remotefs.FakeCinder(
            self.vm, 'vdb', self.volume_id, None, self.model,
            regions=base.REGIONS)
        self.nova.after_spawn(self.instance)
        self.write_and_create('s1', 's2')

    def volume_snapshot(self, snapshot_id):
        """What the driver does for Cinder's create; Cinder's record."""
        new_file = '%s.%s' % (self.cinder.root.basename, snapshot_id)
        self.cinder.create_overlay(new_file)
        guest = libvirt_guest.Guest(self.vm.domain)
        self.driver._volume_snapshot_create(None, self.instance, guest,
                                            self.volume_id, new_file)
        self.cinder.record(snapshot_id, new_file)

    def hold(self, cls, name):
        """Make ``cls.name`` stop half-way until released."""
        reached, release = threading.Event(), threading.Event()
        original = getattr(cls, name)

        def held(*args, **kwargs):
            reached.set()
            self.assertTrue(release.wait(120))
            return original(*args, **kwargs)
        self.patch(cls, name, held)
        return reached, release

    def in_thread(self, func, *args):
        failures = []

        def run():
            try:
                func(*args)
            except Exception as exc:  # checked by the test
                failures.append(exc)
        thread = threading.Thread(target=run)
        thread.start()
        return thread, failures

    def verify(self, context=''):
        super().verify(context)
        self.cinder.verify(self, context)

    def test_a_volume_snapshot_waits_for_a_revert(self):
        reached, release = self.hold(domain.DomainSnapshots,
                                     '_commit_switch')
        revert, revert_failed = self.in_thread(self.revert, 's1')
        self.assertTrue(reached.wait(60))
        # The revert has stopped the domain and not restarted it yet.
        self.write('vdb')
        volume, volume_failed = self.in_thread(self.volume_snapshot, 'v1')
        volume.join(2)
        self.assertTrue(volume.is_alive(), 'the volume snapshot ran '
                        'inside the revert')
        self.assertEqual([self.cinder.root],
                         [i.ref for i in self.vm.disks()['vdb'].chain])
        release.set()
        revert.join(120)
        volume.join(120)
        self.assertEqual(([], []), (revert_failed, volume_failed))
        self.assertTrue(self.vm.domain.isActive())
        self.write('vdb')
        self.verify('after a revert and the volume snapshot that waited')

    def test_a_revert_during_a_volume_snapshot_is_refused(self):
        reached, release = self.hold(volume_snapshots.VolumeSnapshots,
                                     'create')
        volume, volume_failed = self.in_thread(self.volume_snapshot, 'v1')
        self.assertTrue(reached.wait(60))
        exc = self.assertRaises(errors.Busy, self.ops.revert_snapshot,
                                self.vm.uuid, 's1')
        self.assertIn('another lightsnap operation is running', str(exc))
        release.set()
        volume.join(120)
        self.assertEqual([], volume_failed)
        self.verify('after the refused revert')
        self.revert('s1')
        self.verify('after the revert once the volume snapshot was done')

    def test_a_volume_snapshot_that_waits_too_long_says_why(self):
        self.patch(lightsnap_conf, 'VOLUME_LOCK_WAIT', 1)
        reached, release = self.hold(domain.DomainSnapshots,
                                     '_commit_switch')
        self.addCleanup(release.set)
        revert, revert_failed = self.in_thread(self.revert, 's1')
        self.assertTrue(reached.wait(60))
        self.assertRaisesRegex(
            nova_exception.InternalError,
            'waited 1 s for it and gives up, because Cinder stops waiting '
            'after 600 s', self.volume_snapshot, 'v1')
        release.set()
        revert.join(120)
        self.assertEqual([], revert_failed)
        # Cinder, told "error", removes its overlay; nothing else changed.
        self.cinder.remove('%s.v1' % self.cinder.root.basename)
        self.verify('after the volume snapshot that gave up')
