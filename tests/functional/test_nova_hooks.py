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

"""What the driver's lifecycle hooks do to the disks, on real libvirt/QEMU.

The domain is laid out as Nova's qcow2 image backend lays out an instance
(``instances/<uuid>/disk`` backed by a raw image in ``_base``), and the
hooks of nova_lightsnap.virt.hooks run on it: the XML Nova regenerates
on hard reboot, the disk info Nova re-creates backing files from, the
commit-all and metadata copy of a resize, the restart on the destination,
Nova's image snapshot while a merge runs, and the store on destroy. Only
Nova's own objects are stood in for (an instance record, the driver's
libvirt host); every disk effect is real and every snapshot's data is read
back. tests/functional/nova covers the same hooks inside Nova's services.
"""

import os
import shutil
import threading
import types

import fixtures
from oslo_config import fixture as config_fixture

from nova.compute import vm_states
import nova.conf

from nova_lightsnap import chain
from nova_lightsnap.compute import manager
from nova_lightsnap.engine import errors
# The driver module registers [lightsnap] in Nova's CONF.
from nova_lightsnap.virt import driver as lightsnap_driver
from nova_lightsnap.virt import hooks
from nova_lightsnap.virt import host
from nova_lightsnap.virt import locator
from tests.functional import base
from tests.support import domains

CONF = nova.conf.CONF
del lightsnap_driver


def nova_style_xml(vm, root_path):
    """The domain XML as Nova generates it: the root disk is the file
    ``disk``, whatever the chain on top of it."""
    xml = vm.domain.XMLDesc(0)
    return chain.set_disk_sources(
        xml, {'vda': (chain.ImageRef('file', root_path), 'qcow2')})


class FakeLibvirtHost:
    """The two calls the hooks make on the driver's libvirt Host."""

    def __init__(self, conn):
        self.conn = conn

    def get_connection(self):
        return self.conn

    def get_guest(self, instance):
        return types.SimpleNamespace(
            _domain=self.conn.lookupByUUIDString(instance.uuid))


class NovaHooksTestCase(base.EngineTestCase):
    disks = {'vda': 'file'}

    def domain_fixture(self):
        return domains.TestDomain(self.disks, nova_layout=True)

    def make_host(self):
        self.conf = self.useFixture(config_fixture.Config(CONF))
        self.conf.config(instances_path=self.vm.instances_path,
                         host='compute-a', state_path=self.vm.dir)
        self.conf.config(state_dir=os.path.join(self.vm.dir, 'state'),
                         job_timeout=300, group='lightsnap')
        self.instance = types.SimpleNamespace(
            uuid=self.vm.uuid, name=self.vm.name, host='compute-a',
            vm_state=vm_states.ACTIVE, task_state=None,
            metadata={'lightsnap_enable': 'true'},
            flavor=types.SimpleNamespace(extra_specs={}),
            obj_attr_is_set=lambda attr: True)
        self.driver = types.SimpleNamespace(
            _host=FakeLibvirtHost(self.vm.conn))
        self.nova = hooks.Hooks(host.NovaHost(self.driver),
                                locator.Locator(self.driver))
        self.useFixture(fixtures.MockPatchObject(
            self.nova.locator, '_instance', lambda uuid: self.instance))
        self.root = os.path.join(self.vm.instances_path, self.vm.uuid,
                                 'disk')
        # Nova's image cache: the moves here copy ``disk`` only.
        self.base_image = os.path.join(self.vm.instances_path, '_base',
                                       self.vm.uuid)
        self.ops = manager.InstanceOperations(
            self.nova.host, self.nova.locator, CONF.lightsnap.export_dir)
        return self.nova.host

    def create(self, name, quiesce='off'):
        self.ops.create_snapshot(self.vm.uuid, name, quiesce)
        self.model.create(name)

    def dom(self):
        return self.nova.domain(self.instance)

    def state(self):
        return locator.load_state(self.instance)

    def stored(self, *names):
        """Delete ``names`` with the store on: they stay, stored."""
        for name in names:
            self.assertEqual({'deleted': name, 'stored': True},
                             self.ops.delete_snapshot(self.vm.uuid, name))

    def stored_names(self):
        return {s.name for s in self.state().snapshots if s.stored}

    def cold_move(self, dest_name):
        """As Nova's resize and cold migration, once commit_for_move ran:
        the domain goes, the directory is renamed, the disk copied to the
        destination's instances_path, the metadata (and the store)
        follow (copy_state, host None), and the destination starts the
        domain on the XML Nova generates there."""
        self.vm.domain.destroy()
        src_dir = os.path.join(self.vm.instances_path, self.vm.uuid)
        os.rename(src_dir, src_dir + '_resize')
        dest_path = os.path.join(self.vm.dir, dest_name)
        os.makedirs(os.path.join(dest_path, self.vm.uuid))
        shutil.copy(os.path.join(src_dir + '_resize', 'disk'),
                    os.path.join(dest_path, self.vm.uuid, 'disk'))
        self.conf.config(instances_path=dest_path)
        self.nova.copy_state(self.instance, src_dir + '_resize', None)
        # Nova removes the source's directory on confirm.
        shutil.rmtree(src_dir + '_resize')

        self.root = os.path.join(dest_path, self.vm.uuid, 'disk')
        xml = nova_style_xml(self.vm, self.root)
        self.vm.conn.defineXML(self.nova.point_xml(self.instance, xml))
        self.vm.domain.create()
        self.vm.roots['vda'] = chain.ImageRef('file', self.root)
        self.vm.instances_path = dest_path

    def live_migrate(self):
        """As Nova's live migration with the ``commit`` policy on a shared
        instance path: the domain keeps running throughout."""
        self.conf.config(live_migration='commit', group='lightsnap')
        self.nova.check_live_migration(self.instance)
        self.nova.commit_for_move(self.instance)
        self.model.commit_all(keep=self.stored_names())
        self.assertTrue(self.vm.domain.isActive())
        self.assertEqual([self.root, self.base_image],
                         [i.ref.path for i in self.vm.disks()['vda'].chain])
        self.verify('live migration: after the commit, before the move')
        self.nova.after_live_migration(self.instance)
        self.assertFalse(self.state().committed)

    def hard_reboot(self):
        """As Nova's _hard_reboot: destroy, regenerate the XML, start."""
        xml = nova_style_xml(self.vm, self.root)
        self.vm.domain.destroy()
        self.vm.conn.defineXML(self.nova.point_xml(self.instance, xml))
        self.vm.domain.create()


class LifecycleHooksTest(NovaHooksTestCase):

    def test_merge_bandwidth_comes_from_nova_conf(self):
        self.assertEqual(0, self.nova.host.job_bandwidth)
        self.conf.config(merge_bandwidth=20, group='lightsnap')
        self.assertEqual(20, host.NovaHost(self.driver).job_bandwidth)

    def test_spawn_opt_in_and_hard_reboot_run_on_the_overlay(self):
        self.nova.after_spawn(self.instance)
        st = self.state()
        self.assertTrue(st.enabled)
        self.assertEqual(self.root, st.disks['vda'].root.path)
        # The metadata sits in the instance directory, beside the disk.
        self.assertTrue(os.path.exists(os.path.join(
            self.vm.instances_path, self.vm.uuid,
            self.vm.uuid + '.lightsnap.json')))

        self.write_and_create('s1', 's2', 's3')
        self.ops.delete_snapshot(self.vm.uuid, 's2')
        self.model.delete('s2')
        active = self.state().disks['vda'].active
        self.hard_reboot()
        live = self.vm.disks()['vda']
        self.assertEqual(os.path.join(os.path.dirname(self.root), active),
                         live.active.ref.path)
        # Nova's _base image is still the bottom of the chain, untouched.
        self.assertEqual(os.path.join(self.vm.instances_path, '_base',
                                      self.vm.uuid),
                         live.chain[-1].ref.path)
        self.verify('after hard reboot')

        # The guest keeps writing on the overlay; snapshots keep working.
        self.write_and_create('s4')
        self.revert('s1')
        self.hard_reboot()
        self.verify('after revert and a second hard reboot')

    def test_backing_disk_info_names_the_root_not_the_overlays(self):
        self.nova.after_spawn(self.instance)
        self.write_and_create('s1', 's2')
        live = self.vm.disks()['vda']
        nova_info = [{'type': 'qcow2', 'path': live.active.ref.path,
                      'virt_disk_size': domains.DISK_SIZE,
                      'backing_file': os.path.basename(
                          live.chain[1].ref.path),
                      'disk_size': 1, 'over_committed_disk_size': 0},
                     {'type': 'raw', 'path': '/elsewhere/disk.config',
                      'virt_disk_size': 1, 'backing_file': '',
                      'disk_size': 1, 'over_committed_disk_size': 0}]
        out = self.nova.backing_disk_info(self.instance, nova_info)
        self.assertEqual([self.root, '/elsewhere/disk.config'],
                         [i['path'] for i in out])
        # The backing file Nova would fetch from Glance is its own _base.
        self.assertEqual(self.vm.uuid, out[0]['backing_file'])
        self.verify()

    def test_resize_commits_all_and_the_destination_starts_over(self):
        self.nova.after_spawn(self.instance)
        self.ops.set_flags(self.vm.uuid, store=True)
        self.write_and_create('s1', 's2')
        self.ops.delete_snapshot(self.vm.uuid, 's1')  # stored
        index = self.state().next_index

        self.nova.commit_for_move(self.instance)
        self.model.commit_all(keep={'s1'})
        st = self.state()
        self.assertTrue(st.committed)
        # The stored s1 is kept, in the store; s2 is folded into the root.
        self.assertEqual((index - 1, ['s1']), (
            st.root_index, [s.name for s in st.snapshots]))
        # One image again on top of Nova's _base: what Nova copies.
        self.assertEqual([self.root, os.path.join(
            self.vm.instances_path, '_base', self.vm.uuid)],
            [i.ref.path for i in self.vm.disks()['vda'].chain])
        self.verify('after commit-all')

        # Nova moves the instance: the directory is renamed, the disk
        # copied to the destination's instances_path, and the metadata
        # follows (copy_state, host None = shared or local).
        self.vm.domain.destroy()
        src_dir = os.path.join(self.vm.instances_path, self.vm.uuid)
        os.rename(src_dir, src_dir + '_resize')
        dest_path = os.path.join(self.vm.dir, 'dest-instances')
        os.makedirs(os.path.join(dest_path, self.vm.uuid))
        shutil.copy(os.path.join(src_dir + '_resize', 'disk'),
                    os.path.join(dest_path, self.vm.uuid, 'disk'))
        self.conf.config(instances_path=dest_path)
        self.nova.copy_state(self.instance, src_dir + '_resize', None)

        self.root = os.path.join(dest_path, self.vm.uuid, 'disk')
        xml = nova_style_xml(self.vm, self.root)
        self.vm.conn.defineXML(self.nova.point_xml(self.instance, xml))
        self.vm.domain.create()
        st = self.state()
        self.assertFalse(st.committed)
        self.assertEqual((index, True, True),
                         (st.next_index, st.enabled, st.store))
        self.assertEqual(self.root, st.disks['vda'].root.path)
        self.vm.roots['vda'] = chain.ImageRef('file', self.root)
        self.vm.instances_path = dest_path

        self.write_and_create('after-move')
        self.assertTrue(self.state().disks['vda'].active.endswith(
            '.ls%04d.qcow2' % index))
        self.verify('on the destination')

    def test_live_migration_policy(self):
        self.nova.after_spawn(self.instance)
        self.write_and_create('s1')
        self.conf.config(live_migration='refuse', group='lightsnap')
        self.assertRaisesRegex(Exception, 'commit-all them first',
                               self.nova.check_live_migration, self.instance)
        self.conf.config(live_migration='commit', group='lightsnap')
        self.nova.check_live_migration(self.instance)
        self.verify('refused, nothing changed')

    def test_live_migration_commit_policy_keeps_the_data(self):
        self.nova.after_spawn(self.instance)
        self.write_and_create('s1', 's2')
        self.live_migrate()
        st = self.state()
        self.assertEqual(([], 2), (st.snapshots, st.next_index - 1))
        self.assertEqual({self.root}, {
            d.ref(d.active).path for d in st.disks.values()})
        self.verify('after the live migration')
        # Light snapshots start over on the destination.
        self.write_and_create('s3')
        self.revert('s3')
        self.verify('a snapshot and a revert after the live migration')

    def test_refuse_policy_counts_only_what_a_commit_would_lose(self):
        self.nova.after_spawn(self.instance)
        self.ops.set_flags(self.vm.uuid, store=True)
        self.write_and_create('s1')
        self.stored('s1')
        self.conf.config(live_migration='refuse', group='lightsnap')
        # A stored snapshot travels in the store: nothing to refuse.
        self.nova.check_live_migration(self.instance)
        self.write_and_create('s2')
        self.assertRaisesRegex(Exception, '1 light snapshot',
                               self.nova.check_live_migration, self.instance)
        self.verify('refused, nothing changed')

    def test_stored_snapshots_travel_through_every_move(self):
        self.nova.after_spawn(self.instance)
        self.ops.set_flags(self.vm.uuid, store=True)
        self.write_and_create('s1', 's2', 's3', 's4')
        self.stored('s1', 's3')
        # Out of the live chain: s2's and s4's layers and the active one
        # (on Nova's _base).
        st = self.state()
        self.assertEqual(3, len(st.disks['vda'].layers))
        self.assertEqual(4, len(self.vm.disks()['vda'].chain))
        self.verify('stored s1 s3')

        # Resize: s2 and s4 are folded into the root, s1 and s3 travel.
        self.nova.commit_for_move(self.instance)
        self.model.commit_all(keep={'s1', 's3'})
        self.verify('resize: committed')
        self.cold_move('resized')
        self.assertEqual({'s1', 's3'}, self.stored_names())
        self.verify('after the resize')

        # Stored on the destination, then a live migration.
        self.write_and_create('s5')
        self.stored('s5')
        self.live_migrate()
        self.assertEqual({'s1', 's3', 's5'}, self.stored_names())
        self.verify('after the live migration')

        # A cold migration with a snapshot that is not stored.
        self.write_and_create('s6')
        self.nova.commit_for_move(self.instance)
        self.model.commit_all(keep={'s1', 's3', 's5'})
        self.cold_move('migrated')
        self.assertEqual({'s1', 's3', 's5'}, self.stored_names())
        self.assertEqual([self.root], [
            d.ref(d.active).path for d in self.state().disks.values()])
        self.verify('after the cold migration')

        # Still revertible, and purging one leaves the others whole.
        self.revert('s3')
        self.write_all()
        self.verify('after reverting to the stored s3')
        self.ops.delete_snapshot(self.vm.uuid, 's3', purge=True)
        self.model.delete('s3')
        self.verify('after purging s3')
        self.revert('s1')
        self.hard_reboot()
        self.verify('after reverting to the stored s1 and a hard reboot')

    def test_copy_state_sends_the_store(self):
        self.nova.after_spawn(self.instance)
        self.ops.set_flags(self.vm.uuid, store=True)
        self.write_and_create('s1')
        self.stored('s1')
        sent = []
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.utils.copy_image',
            lambda src, dest, host=None: sent.append((src, dest, host))))
        here = os.path.join(self.vm.instances_path, self.vm.uuid)
        self.nova.copy_state(self.instance, here, 'compute-b')
        self.assertEqual([
            (os.path.join(here, self.vm.uuid + '.lightsnap-store'), here,
             'compute-b'),
            (os.path.join(here, self.vm.uuid + '.lightsnap.json'),
             os.path.join(here, self.vm.uuid + '.lightsnap.json'),
             'compute-b')], sent)

    def test_destroy_keeps_the_store_when_asked(self):
        self.nova.after_spawn(self.instance)
        self.ops.set_flags(self.vm.uuid, store=True)
        self.write_and_create('s1')
        self.ops.delete_snapshot(self.vm.uuid, 's1')
        layer = self.state().snapshot('s1').layers['vda']
        self.conf.config(keep_store_on_destroy=True, group='lightsnap')
        self.nova.before_destroy(self.instance, destroy_disks=False)
        self.assertIsNotNone(self.host.registry.find_domain(self.vm.uuid))
        self.nova.before_destroy(self.instance, destroy_disks=True)
        kept = os.path.join(self.vm.instances_path, 'lightsnap-kept',
                            self.vm.uuid, 's1', 'vda-' + layer)
        self.assertTrue(os.path.exists(kept), kept)
        # The kept file holds s1 on its own, without Nova's _base image
        # (the image cache removes it once no instance uses it).
        self.assertNotIn('backing-filename',
                         domains.qemu_img('info', '--output=json', kept))
        self.assertEqual([], self.vm.mismatches(
            chain.ImageRef('file', kept),
            self.model.snaps['s1']['vda'], base.REGIONS))
        self.assertIsNone(self.host.registry.find_domain(self.vm.uuid))

    def test_refused_while_rescued_or_busy_in_nova(self):
        self.nova.after_spawn(self.instance)
        self.write_and_create('s1')
        self.instance.vm_state = vm_states.RESCUED
        self.assertRaisesRegex(errors.InvalidState, 'rescued',
                               self.ops.create_snapshot, self.vm.uuid, 'x')
        self.instance.vm_state = vm_states.ACTIVE
        self.instance.task_state = 'rebooting'
        self.assertRaisesRegex(errors.InvalidState, 'rebooting',
                               self.ops.revert_snapshot, self.vm.uuid, 's1')
        self.instance.task_state = None
        self.instance.host = 'compute-b'
        self.assertRaises(errors.NotFound, self.ops.create_snapshot,
                          self.vm.uuid, 'x')
        self.instance.host = 'compute-a'
        # Showing is allowed in any state.
        self.instance.vm_state = vm_states.RESCUED
        self.assertEqual(['s1'], [s['name'] for s in self.ops.get_instance(
            self.vm.uuid)['snapshots']])
        self.instance.vm_state = vm_states.ACTIVE
        self.verify('after refusals')


class ImageSnapshotTest(NovaHooksTestCase):

    def test_image_snapshot_waits_for_a_merge_and_holds_the_live_data(self):
        self.nova.after_spawn(self.instance)
        self.create('big')
        self.fill_layer('vda', 8 * 1024 * 1024, 9)
        self.write_all()
        self.host.job_bandwidth = 1  # the merge takes seconds
        failures = []

        def delete():
            try:
                self.ops.delete_snapshot(self.vm.uuid, 'big')
            except Exception as exc:  # reported below
                failures.append(exc)
        merge = threading.Thread(target=delete)
        merge.start()
        for _ in range(100):
            if self.ops.progress(self.vm.uuid):
                break
            threading.Event().wait(0.1)
        out = os.path.join(self.vm.dir, 'image.raw')
        self.nova.image_snapshot(self.instance, out, 'raw', False)
        merge.join(120)
        # The merge was not aborted: it finished, and then the image
        # snapshot ran.
        self.assertEqual([], failures)
        self.model.delete('big')
        self.assertEqual(os.path.getsize(out), domains.DISK_SIZE)
        self.assertEqual([], self.vm.mismatches(
            chain.ImageRef('file', out), self.model.current['vda'],
            base.REGIONS, fmt='raw'))
        # The temporary light snapshot is gone.
        self.assertEqual([], self.state().snapshots)
        self.verify('after the image snapshot')
