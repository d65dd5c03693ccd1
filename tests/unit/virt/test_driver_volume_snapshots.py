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

"""Assisted volume snapshots through LightSnapLibvirtDriver.

Mirrors the cases of Nova's LibvirtVolumeSnapshotTestCase
(nova/tests/unit/virt/libvirt/test_driver.py), on domain XML shaped like
libvirt 9's (with ``index`` attributes), plus gluster disks, shut-off
domains, block jobs that fail or overrun, and hostile names.

Our code talks to the real ``libvirt`` module's constants (the ones that
reach libvirtd). LibvirtFixture's fake module has other values for some of
them (VIR_DOMAIN_BLOCK_COMMIT_RELATIVE is 4 there, 8 in libvirt; 4 is
ACTIVE), so every flag is asserted against the real module.
"""

from unittest import mock

import fixtures
import libvirt
from oslo_utils.fixture import uuidsentinel as uuids

from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.fixtures import libvirt as fakelibvirt
from nova.virt import fake
from nova.virt.libvirt import guest as libvirt_guest

from nova_lightsnap import chain
from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import images
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap.virt import driver

VOLUME_ID = '0e38683e-f0af-418f-a3f1-6b67ea0f919d'
SNAPSHOT_ID = '9c3ca9f4-9f4e-4dba-bedd-5c5e4b52b162'
VOLDIR = '/var/lib/nova/mnt/5f1d9c/'
GLUSTER_HOST = "<host name='127.0.0.2' port='24007'/>"

SNAP_FLAGS = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
              libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
              libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT)
SNAP_FLAGS_Q = SNAP_FLAGS | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE
COMMIT_RELATIVE = libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE
COMMIT_ACTIVE = libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE
REBASE_RELATIVE = libvirt.VIR_DOMAIN_BLOCK_REBASE_RELATIVE


def _source(kind, name, index=None, protocol='gluster'):
    idx = " index='%d'" % index if index is not None else ''
    if kind == 'file':
        return "<source file='%s%s'%s/>" % (VOLDIR, name, idx)
    return ("<source protocol='%s' name='lightsnap/%s'%s>%s</source>"
            % (protocol, name, idx, GLUSTER_HOST))


def volume_disk(chain, kind='file', protocol='gluster', mirror=''):
    """A volume disk on ``vdb``; ``chain`` = [(name, index, format)]."""
    disk_type = 'file' if kind == 'file' else 'network'
    (name, index, fmt), below = chain[0], chain[1:]
    xml = ["<disk type='%s' device='disk'>" % disk_type,
           "<driver name='qemu' type='%s' cache='none'/>" % fmt,
           _source(kind, name, index, protocol), mirror]
    for name, index, fmt in below:
        xml.append("<backingStore type='%s' index='%d'><format type='%s'/>%s"
                   % (disk_type, index, fmt,
                      _source(kind, name, protocol=protocol)))
    xml.append('<backingStore/>' + '</backingStore>' * len(below))
    xml.append("<target dev='vdb' bus='virtio'/><serial>%s</serial>"
               "<alias name='ua-%s'/></disk>" % (VOLUME_ID, VOLUME_ID))
    return ''.join(xml)


def domain_xml(*disks):
    return ("<domain type='qemu' id='3'><name>instance-00000001</name>"
            "<uuid>%s</uuid><devices>"
            "<disk type='file' device='disk'><driver name='qemu' "
            "type='qcow2'/><source file='/var/lib/nova/instances/%s/disk' "
            "index='1'/><backingStore/><target dev='vda' bus='virtio'/>"
            "</disk>%s"
            "<disk type='file' device='cdrom'><driver name='qemu' "
            "type='raw'/><source file='/var/lib/nova/instances/%s/"
            "disk.config' index='2'/><target dev='sda' bus='sata'/>"
            "<readonly/></disk>"
            "<channel type='unix'><target type='virtio' "
            "name='org.qemu.guest_agent.0'/></channel>"
            "</devices></domain>" % (uuids.fake, uuids.fake, ''.join(disks),
                                     uuids.fake))


# The chain Cinder builds with two snapshots: volume-1 (raw) <- .snap-a
# <- .snap-b (active). libvirt's indices are node ids, not depths.
THREE = [('volume-1.snap-b', 7, 'qcow2'), ('volume-1.snap-a', 5, 'qcow2'),
         ('volume-1', 3, 'raw')]


class FakeLoopingCall(object):
    def __init__(self, func):
        self.func = func

    def start(self, *args, **kwargs):
        from oslo_service import loopingcall
        try:
            self.func()
        except loopingcall.LoopingCallDone:
            pass
        return self

    def wait(self):
        return None


class VolumeSnapshotBase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.flags(instance_name_template='instance-%s')
        self.flags(virt_type='qemu', group='libvirt')
        self.drvr = driver.LightSnapLibvirtDriver(fake.FakeVirtAPI(), False)
        self.c = context.get_admin_context()
        self.inst = {'uuid': uuids.fake, 'id': 1, 'image_ref': '',
                     'system_metadata': {}}

        self.conn = mock.Mock(name='virConnect')
        self.conn.domainEventRegisterAny.return_value = 7
        self.useFixture(fixtures.MockPatchObject(
            self.drvr._host, 'get_connection', return_value=self.conn))

        self.dom = mock.Mock(spec=fakelibvirt.virDomain)
        self.dom.name.return_value = 'instance-00000001'
        self.dom.UUIDString.return_value = uuids.fake
        self.dom.isActive.return_value = 1
        self.dom.blockJobInfo.return_value = {}
        self.xml = domain_xml(volume_disk(THREE))
        self.dom.XMLDesc.side_effect = lambda flags=0: self.xml
        # After an error the live XML is read on a fresh lookup.
        self.conn.lookupByUUIDString.return_value = self.dom
        self.get_guest = self.useFixture(fixtures.MockPatchObject(
            self.drvr._host, 'get_guest',
            return_value=libvirt_guest.Guest(self.dom))).mock

        self.update = self.useFixture(fixtures.MockPatchObject(
            self.drvr._volume_api, 'update_snapshot_status')).mock
        self.useFixture(fixtures.MockPatchObject(
            self.drvr._volume_api, 'get_snapshot',
            return_value={'status': 'available'}))
        self.refresh = self.useFixture(fixtures.MockPatchObject(
            self.drvr, '_volume_refresh_connection_info')).mock
        self.useFixture(fixtures.MockPatch(
            'oslo_service.loopingcall.FixedIntervalLoopingCall',
            side_effect=FakeLoopingCall))
        self.gluster_driver = self.useFixture(fixtures.MockPatchObject(
            qemu_gluster, 'available', return_value=True)).mock
        # A vanished job waits this long for a late event before the live
        # XML decides.
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.engine.merge.JOB_GONE_GRACE', 0))

    def instance(self, agent=False, require_quiesce=False):
        if agent:
            self.inst['system_metadata']['image_hw_qemu_guest_agent'] = 'yes'
        if require_quiesce:
            self.inst['system_metadata']['image_os_require_quiesce'] = 'yes'
        return objects.Instance(**self.inst)

    def after_job(self, chain, kind='file', **kwargs):
        """The live XML once a block job has ended."""
        new = domain_xml(volume_disk(chain, kind, **kwargs))

        def effect(*args, **kw):
            self.xml = new
            return 0
        return effect

    def assert_no_libvirt_call(self):
        self.get_guest.assert_not_called()
        self.dom.XMLDesc.assert_not_called()
        self.dom.snapshotCreateXML.assert_not_called()
        self.dom.blockCommit.assert_not_called()
        self.dom.blockRebase.assert_not_called()


class VolumeSnapshotCreateTestCase(VolumeSnapshotBase):

    create_info = {'type': 'qcow2', 'snapshot_id': SNAPSHOT_ID,
                   'new_file': 'volume-1.snap-c'}

    def create(self, instance, create_info=None):
        self.drvr.volume_snapshot_create(self.c, instance, VOLUME_ID,
                                         create_info or self.create_info)

    def expected_file_xml(self):
        return ("<domainsnapshot><disks>"
                "<disk name='sda' snapshot='no'/>"
                "<disk name='vda' snapshot='no'/>"
                "<disk name='vdb' snapshot='external' type='file'>"
                "<driver type='qcow2'/>"
                "<source file='%svolume-1.snap-c'/></disk>"
                "</disks></domainsnapshot>" % VOLDIR)

    def test_create_quiesced(self):
        self.create(self.instance(agent=True))
        self.dom.snapshotCreateXML.assert_called_once_with(
            self.expected_file_xml(), SNAP_FLAGS_Q)
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'creating')
        self.refresh.assert_called_once_with(self.c, mock.ANY, VOLUME_ID)

    def test_create_cannot_quiesce(self):
        # No hw_qemu_guest_agent: Nova does not try.
        self.create(self.instance())
        self.dom.snapshotCreateXML.assert_called_once_with(
            self.expected_file_xml(), SNAP_FLAGS)
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'creating')

    def test_create_bad_hypervisor_cannot_quiesce(self):
        self.flags(virt_type='lxc', group='libvirt')
        self.create(self.instance(agent=True))
        self.dom.snapshotCreateXML.assert_called_once_with(
            self.expected_file_xml(), SNAP_FLAGS)

    def test_create_quiesce_fails_not_required(self):
        self.dom.snapshotCreateXML.side_effect = [
            fakelibvirt.make_libvirtError(
                libvirt.libvirtError, 'quiescing failed, no qemu-ga',
                error_code=libvirt.VIR_ERR_AGENT_UNRESPONSIVE),
            None]
        self.create(self.instance(agent=True))
        self.assertEqual([mock.call(self.expected_file_xml(), SNAP_FLAGS_Q),
                          mock.call(self.expected_file_xml(), SNAP_FLAGS)],
                         self.dom.snapshotCreateXML.call_args_list)
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'creating')

    def test_create_cannot_quiesce_quiesce_required(self):
        self.assertRaises(exception.QemuGuestAgentNotEnabled, self.create,
                          self.instance(require_quiesce=True))
        self.dom.snapshotCreateXML.assert_not_called()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_can_quiesce_quiesce_required_fails(self):
        self.dom.snapshotCreateXML.side_effect = (
            fakelibvirt.make_libvirtError(
                libvirt.libvirtError, 'quiescing failed',
                error_code=libvirt.VIR_ERR_AGENT_UNRESPONSIVE,
                error_message='guest agent is not responding'))
        ex = self.assertRaises(exception.InstanceQuiesceFailed, self.create,
                               self.instance(agent=True,
                                             require_quiesce=True))
        self.assertIn('guest agent is not responding', str(ex))
        self.dom.snapshotCreateXML.assert_called_once_with(
            self.expected_file_xml(), SNAP_FLAGS_Q)
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_thaw_fails_after_the_switch(self):
        switched = domain_xml(volume_disk(
            [('volume-1.snap-c', 9, 'qcow2')] + THREE))

        def thaw_fails(xml, flags):
            self.xml = switched
            raise fakelibvirt.make_libvirtError(
                libvirt.libvirtError, 'thaw failed',
                error_code=libvirt.VIR_ERR_INTERNAL_ERROR,
                error_message='fsfreeze hook has failed with status 1')
        self.dom.snapshotCreateXML.side_effect = thaw_fails
        self.create(self.instance(agent=True))
        # Taken (frozen): no retry onto new_file, Cinder told it worked.
        self.dom.snapshotCreateXML.assert_called_once_with(
            self.expected_file_xml(), SNAP_FLAGS_Q)
        self.dom.setMetadata.assert_called_once()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'creating')

    def test_create_unreadable_after_an_error_says_what_to_check(self):
        self.dom.snapshotCreateXML.side_effect = (
            fakelibvirt.make_libvirtError(
                libvirt.libvirtError, 'lost', error_message='End of file'))
        self.conn.lookupByUUIDString.side_effect = (
            fakelibvirt.make_libvirtError(
                libvirt.libvirtError, 'no connection',
                error_message='no connection to libvirtd'))
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance())
        self.assertIn('cannot be read (no connection to libvirtd) to tell '
                      'whether the disk switched', str(ex))
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_libvirt_refuses(self):
        self.dom.snapshotCreateXML.side_effect = (
            fakelibvirt.make_libvirtError(
                libvirt.libvirtError, 'no such file',
                error_code=libvirt.VIR_ERR_OPERATION_FAILED,
                error_message='Could not open volume-1.snap-c'))
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance())
        self.assertIn('Could not open volume-1.snap-c', str(ex))
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')
        self.refresh.assert_not_called()

    def test_create_gluster(self):
        self.xml = domain_xml(volume_disk(THREE, kind='gluster'))
        self.create(self.instance())
        self.dom.snapshotCreateXML.assert_called_once_with(
            "<domainsnapshot><disks>"
            "<disk name='sda' snapshot='no'/>"
            "<disk name='vda' snapshot='no'/>"
            "<disk name='vdb' snapshot='external' type='network'>"
            "<driver type='qcow2'/>"
            "<source protocol='gluster' name='lightsnap/volume-1.snap-c'>"
            "<host name='127.0.0.2' port='24007'/></source></disk>"
            "</disks></domainsnapshot>", SNAP_FLAGS)

    def test_create_gluster_image_given_libvirts_owner(self):
        # The live XML's DAC label says which owner libvirt gives images.
        self.xml = domain_xml(volume_disk(THREE, kind='gluster')).replace(
            '</domain>', "<seclabel type='dynamic' model='dac' "
            "relabel='yes'><label>+64055:+64055</label><imagelabel>"
            "+64055:+64055</imagelabel></seclabel></domain>")
        give_owner = self.useFixture(fixtures.MockPatchObject(
            images, 'give_owner', side_effect=[True, False])).mock
        for keeps_owner in (True, False):
            self.dom.snapshotCreateXML.reset_mock()
            self.create(self.instance())
            ref = give_owner.call_args.args[0]
            self.assertEqual(('gluster', 'volume-1.snap-c', '127.0.0.2'),
                             (ref.kind, ref.path, ref.host))
            self.assertEqual((64055, 64055), give_owner.call_args.args[1])
            xml = self.dom.snapshotCreateXML.call_args.args[0]
            self.assertIn("<host name='127.0.0.2' port='24007'/>%s</source>"
                          % (chain.KEEP_OWNER if keeps_owner else ''), xml)

    def test_create_gluster_owner_left_to_libvirt_when_configured(self):
        self.flags(gluster_image_owner=False, group='lightsnap')
        self.xml = domain_xml(volume_disk(THREE, kind='gluster')).replace(
            '</domain>', "<seclabel type='dynamic' model='dac' "
            "relabel='yes'><imagelabel>+64055:+64055</imagelabel>"
            "</seclabel></domain>")
        give_owner = self.useFixture(fixtures.MockPatchObject(
            images, 'give_owner')).mock
        self.create(self.instance())
        give_owner.assert_not_called()
        self.assertNotIn('seclabel',
                         self.dom.snapshotCreateXML.call_args.args[0])

    def test_create_gluster_without_qemu_driver_says_what_to_do(self):
        self.xml = domain_xml(volume_disk(THREE, kind='gluster'))
        self.gluster_driver.return_value = False
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance())
        self.assertIn('no gluster block driver', str(ex))
        self.assertIn('gluster_transport = fuse', str(ex))
        self.dom.snapshotCreateXML.assert_not_called()
        self.conn.defineXML.assert_not_called()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_netfs(self):
        self.xml = domain_xml(volume_disk(THREE, kind='network',
                                          protocol='netfs'))
        self.create(self.instance())
        xml = self.dom.snapshotCreateXML.call_args[0][0]
        self.assertIn("<source protocol='netfs' "
                      "name='lightsnap/volume-1.snap-c'>", xml)

    def test_create_domain_shut_off(self):
        self.dom.isActive.return_value = 0
        self.xml = domain_xml(volume_disk([('volume-1.snap-b', None,
                                            'qcow2')]))
        exists = self.useFixture(fixtures.MockPatch(
            'nova_lightsnap.engine.images.exists', return_value=True)).mock
        self.create(self.instance(agent=True, require_quiesce=True))
        self.dom.snapshotCreateXML.assert_not_called()
        exists.assert_called_once_with(mock.ANY)
        self.assertEqual(VOLDIR + 'volume-1.snap-c',
                         exists.call_args[0][0].path)
        self.dom.XMLDesc.assert_called_with(
            libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE)
        defined = self.conn.defineXML.call_args[0][0]
        self.assertIn("<source file=\"%svolume-1.snap-c\" />" % VOLDIR,
                      defined)
        self.assertIn("<driver name=\"qemu\" type=\"qcow2\" cache=\"none\" "
                      "/>", defined)
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'creating')

    def test_create_domain_shut_off_gluster(self):
        self.dom.isActive.return_value = 0
        self.xml = domain_xml(volume_disk([('volume-1.snap-b', None,
                                            'qcow2')], kind='gluster'))
        exists = self.useFixture(fixtures.MockPatch(
            'nova_lightsnap.engine.images.exists')).mock
        self.create(self.instance())
        exists.assert_not_called()
        defined = self.conn.defineXML.call_args[0][0]
        self.assertIn('<source protocol="gluster" '
                      'name="lightsnap/volume-1.snap-c">', defined)
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'creating')

    def test_create_domain_shut_off_new_file_missing(self):
        self.dom.isActive.return_value = 0
        self.useFixture(fixtures.MockPatch(
            'nova_lightsnap.engine.images.exists', return_value=False))
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance())
        self.assertIn('does not exist', str(ex))
        self.conn.defineXML.assert_not_called()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_instance_not_running(self):
        self.get_guest.side_effect = exception.InstanceNotFound(
            instance_id=uuids.fake)
        self.assertRaises(exception.InstanceNotRunning, self.create,
                          self.instance())
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_bad_type(self):
        info = dict(self.create_info, type='raw')
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance(), info)
        self.assertIn('Unknown type: raw', str(ex))
        self.assert_no_libvirt_call()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_without_snapshot_id(self):
        info = {'type': 'qcow2', 'new_file': 'volume-1.snap-c'}
        self.assertRaises(exception.InternalError, self.create,
                          self.instance(), info)
        self.assert_no_libvirt_call()
        self.update.assert_not_called()

    def test_create_hostile_new_file_refused_before_libvirt(self):
        for new_file in ('../x', '/etc/x', 'a/b', 'vol\0ume', '..', '.',
                         '', None, 7, ' x', 'x\n'):
            self.update.reset_mock()
            info = dict(self.create_info, new_file=new_file)
            self.assertRaises(exception.InvalidInput, self.create,
                              self.instance(), info)
            self.update.assert_called_once_with(self.c, SNAPSHOT_ID,
                                                'error')
        self.assert_no_libvirt_call()
        self.conn.defineXML.assert_not_called()

    def test_create_new_file_already_in_chain(self):
        info = dict(self.create_info, new_file='volume-1.snap-a')
        ex = self.assertRaises(exception.InvalidInput, self.create,
                               self.instance(), info)
        self.assertIn('already in the backing chain', str(ex))
        self.dom.snapshotCreateXML.assert_not_called()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_volume_not_attached(self):
        self.xml = domain_xml()
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance())
        self.assertIn("Disk with id '%s' not found" % VOLUME_ID, str(ex))
        self.dom.snapshotCreateXML.assert_not_called()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'error')

    def test_create_block_disk_unsupported(self):
        self.xml = domain_xml(
            "<disk type='block' device='disk'><source dev='/dev/sdx'/>"
            "<target dev='vdb' bus='virtio'/><serial>%s</serial></disk>"
            % VOLUME_ID)
        ex = self.assertRaises(exception.InternalError, self.create,
                               self.instance())
        self.assertIn("type 'block'", str(ex))
        self.dom.snapshotCreateXML.assert_not_called()


class VolumeSnapshotDeleteTestCase(VolumeSnapshotBase):

    def delete(self, file_to_merge, merge_target_file, type='qcow2'):
        self.delete_info = {'type': type, 'file_to_merge': file_to_merge,
                            'merge_target_file': merge_target_file,
                            'volume_id': VOLUME_ID}
        self.drvr.volume_snapshot_delete(self.c, self.instance(), VOLUME_ID,
                                         SNAPSHOT_ID, self.delete_info)

    def assert_deleted(self):
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'deleting')
        self.refresh.assert_called_once_with(self.c, mock.ANY, VOLUME_ID)

    def assert_error(self):
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID,
                                            'error_deleting')
        self.refresh.assert_not_called()

    def test_fixture_relative_flag_is_not_libvirts(self):
        # The trap this module avoids: the fake's COMMIT_RELATIVE is
        # libvirt's ACTIVE.
        self.assertEqual(8, libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
        self.assertEqual(4, libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE)
        self.assertNotEqual(fakelibvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE,
                            COMMIT_RELATIVE)

    def test_delete_newest_pull_relative(self):
        # Cinder deletes snap-b's snapshot while .snap-b is active: it pulls
        # .snap-a into the active image, whose new backing is volume-1.
        self.dom.blockRebase.side_effect = self.after_job(
            [('volume-1.snap-b', 7, 'qcow2'), ('volume-1', 3, 'raw')])
        self.delete('volume-1', None)
        self.dom.blockRebase.assert_called_once_with(
            'vdb', 'vdb[3]', 0, REBASE_RELATIVE)
        self.dom.blockCommit.assert_not_called()
        self.assert_deleted()

    def test_delete_null_base_pulls_everything(self):
        self.xml = domain_xml(volume_disk(THREE[:1] + THREE[2:]))
        self.dom.blockRebase.side_effect = self.after_job(THREE[:1])
        self.delete(None, None)
        # No base: no relative flag (libvirt refuses RELATIVE without one).
        self.dom.blockRebase.assert_called_once_with('vdb', None, 0, 0)
        self.assert_deleted()

    def test_delete_older_commit_relative(self):
        self.dom.blockCommit.side_effect = self.after_job(
            [('volume-1.snap-b', 7, 'qcow2'), ('volume-1', 3, 'raw')])
        self.delete('volume-1.snap-a', 'volume-1')
        self.dom.blockCommit.assert_called_once_with(
            'vdb', 'vdb[3]', 'vdb[5]', 0, COMMIT_RELATIVE)
        self.assertEqual(8, self.dom.blockCommit.call_args[0][4])
        self.dom.blockRebase.assert_not_called()
        self.assert_deleted()

    def test_delete_gluster_without_qemu_driver_merges_nothing(self):
        self.xml = domain_xml(volume_disk(THREE, kind='gluster'))
        self.gluster_driver.return_value = False
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'volume-1.snap-a', 'volume-1')
        self.assertIn('no gluster block driver', str(ex))
        self.dom.blockCommit.assert_not_called()
        self.dom.blockRebase.assert_not_called()
        self.assert_error()

    def test_delete_active_commit_waits_ready_then_pivots(self):
        ready = domain_xml(volume_disk(
            THREE, mirror="<mirror type='file' file='%svolume-1.snap-a' "
                          "format='qcow2' job='active-commit' ready='yes'>"
                          "<format type='qcow2'/><source file='%s"
                          "volume-1.snap-a'/></mirror>" % (VOLDIR, VOLDIR)))
        pivoted = domain_xml(volume_disk(THREE[1:]))

        def commit(*args):
            self.xml = ready

        def abort(disk, flags):
            if flags == libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT:
                self.xml = pivoted

        self.dom.blockCommit.side_effect = commit
        self.dom.blockJobAbort.side_effect = abort
        self.delete('volume-1.snap-b', 'volume-1.snap-a')
        self.dom.blockCommit.assert_called_once_with(
            'vdb', 'vdb[5]', None, 0, COMMIT_ACTIVE | COMMIT_RELATIVE)
        self.dom.blockJobAbort.assert_called_once_with(
            'vdb', libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
        self.assert_deleted()

    def test_delete_gluster_uses_live_indices(self):
        self.xml = domain_xml(volume_disk(THREE, kind='gluster'))
        self.dom.blockCommit.side_effect = self.after_job(
            [('volume-1.snap-b', 7, 'qcow2'), ('volume-1', 3, 'raw')],
            kind='gluster')
        self.delete('volume-1.snap-a', 'volume-1')
        self.dom.blockCommit.assert_called_once_with(
            'vdb', 'vdb[3]', 'vdb[5]', 0, COMMIT_RELATIVE)
        self.assert_deleted()

    def test_delete_gluster_pull(self):
        self.xml = domain_xml(volume_disk(THREE, kind='gluster'))
        self.dom.blockRebase.side_effect = self.after_job(
            [('volume-1.snap-b', 8, 'qcow2'), ('volume-1', 3, 'raw')],
            kind='gluster')
        self.delete('volume-1', None)
        self.dom.blockRebase.assert_called_once_with(
            'vdb', 'vdb[3]', 0, REBASE_RELATIVE)
        self.assert_deleted()

    def test_delete_netdisk_pull(self):
        # Nova's test_volume_snapshot_delete_netdisk_1 chain (a netfs disk,
        # no index on the active image): pulling snap.img into root.img,
        # which then stands on snap-b.img.
        self.xml = domain_xml(volume_disk(
            [('root.img', None, 'qcow2'), ('snap.img', 1, 'qcow2'),
             ('snap-b.img', 2, 'qcow2')], kind='network', protocol='netfs'))
        self.dom.blockRebase.side_effect = self.after_job(
            [('root.img', None, 'qcow2'), ('snap-b.img', 2, 'qcow2')],
            kind='network', protocol='netfs')
        self.delete('snap-b.img', None)
        self.dom.blockRebase.assert_called_once_with(
            'vdb', 'vdb[2]', 0, REBASE_RELATIVE)
        self.assert_deleted()

    def test_delete_netdisk_nothing_above_base(self):
        # Nova's netdisk_1 itself: snap.img already backs the active
        # image, so there is nothing to pull (Nova starts an empty job).
        self.xml = domain_xml(volume_disk(
            [('root.img', None, 'qcow2'), ('snap.img', 1, 'qcow2'),
             ('snap-b.img', 2, 'qcow2')], kind='network', protocol='netfs'))
        self.delete('snap.img', None)
        self.dom.blockRebase.assert_not_called()
        self.assert_deleted()

    def test_delete_netdisk_target_above_top_refused(self):
        # Nova's test_volume_snapshot_delete_netdisk_relative_2 commits
        # snap.img "into" the active root.img as vdb[0]: not a chain.
        self.xml = domain_xml(volume_disk(
            [('root.img', None, 'qcow2'), ('snap.img', 1, 'qcow2'),
             ('snap-b.img', 2, 'qcow2')], kind='network', protocol='netfs'))
        ex = self.assertRaises(exception.InvalidInput, self.delete,
                               'snap.img', 'root.img')
        self.assertIn('not below', str(ex))
        self.dom.blockCommit.assert_not_called()
        self.assert_error()

    def test_delete_retried_pull_does_nothing(self):
        # volume-1 is already the active image's backing file.
        self.xml = domain_xml(volume_disk(THREE[:1] + THREE[2:]))
        self.delete('volume-1', None)
        self.dom.blockRebase.assert_not_called()
        self.assert_deleted()

    def test_delete_job_fails(self):
        # The job vanished and the chain did not change: a failure.
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'volume-1.snap-a', 'volume-1')
        self.assertIn('chain is unchanged', str(ex))
        self.assert_error()

    def use_events(self):
        # Events are used in Nova's threading mode only.
        self.useFixture(fixtures.MockPatch(
            'nova.utils.concurrency_mode_threading', return_value=True))
        callbacks = []
        self.conn.domainEventRegisterAny.side_effect = (
            lambda dom, event, cb, opaque: callbacks.append(cb) or 3)
        return callbacks

    def test_delete_failed_event(self):
        callbacks = self.use_events()
        self.dom.blockJobInfo.return_value = {'cur': 1, 'end': 10}

        def commit(*args):
            callbacks[0](self.conn, self.dom, 'vdb',
                         libvirt.VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT,
                         libvirt.VIR_DOMAIN_BLOCK_JOB_FAILED, None)
        self.dom.blockCommit.side_effect = commit
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'volume-1.snap-a', 'volume-1')
        self.assertIn('ended as %s' % blockjob.FAILED, str(ex))
        self.conn.domainEventRegisterAny.assert_called_once_with(
            None, libvirt.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, mock.ANY, None)
        self.conn.domainEventDeregisterAny.assert_called_once_with(3)
        self.assert_error()

    def test_delete_completed_event(self):
        callbacks = self.use_events()
        after = self.after_job([('volume-1.snap-b', 7, 'qcow2'),
                                ('volume-1', 3, 'raw')])

        def commit(*args):
            after()
            callbacks[0](self.conn, self.dom, 'vdb',
                         libvirt.VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT,
                         libvirt.VIR_DOMAIN_BLOCK_JOB_COMPLETED, None)
        self.dom.blockCommit.side_effect = commit
        self.delete('volume-1.snap-a', 'volume-1')
        self.assert_deleted()

    def test_delete_timeout_cancels(self):
        # Volume merges have a bound of their own, below Cinder's wait.
        self.flags(volume_job_timeout=1, group='lightsnap')
        running = {'cur': 1, 'end': 10}
        self.dom.blockJobInfo.side_effect = lambda disk, flags: running
        self.dom.blockJobAbort.side_effect = (
            lambda disk, flags: running.clear())
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'volume-1.snap-a', 'volume-1')
        self.assertIn('did not finish within 1 s and was cancelled',
                      str(ex))
        self.dom.blockJobAbort.assert_called_once_with('vdb', 0)
        self.assert_error()

    def test_delete_libvirt_refuses_job(self):
        self.dom.blockCommit.side_effect = fakelibvirt.make_libvirtError(
            libvirt.libvirtError, 'refused',
            error_code=libvirt.VIR_ERR_OPERATION_INVALID,
            error_message="can't keep relative backing relationship")
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'volume-1.snap-a', 'volume-1')
        self.assertIn("can't keep relative backing relationship", str(ex))
        self.assert_error()

    def test_delete_invalid_type(self):
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'some_file', 'some_other_file',
                               type='made_up_type')
        self.assertIn('Unknown delete_info type made_up_type', str(ex))
        self.assert_no_libvirt_call()
        self.assert_error()

    def test_delete_hostile_names_refused_before_libvirt(self):
        for to_merge, target in (('../x', None), ('/etc/x', None),
                                 ('vol\0ume', None), ('a/b', 'volume-1'),
                                 ('volume-1.snap-a', '../../etc/passwd'),
                                 ('volume-1.snap-a', '/etc/passwd'),
                                 ('volume-1.snap-a', 'x\0'),
                                 (None, 'volume-1'), ('..', None),
                                 (7, None)):
            self.update.reset_mock()
            self.assertRaises(exception.InvalidInput, self.delete,
                              to_merge, target)
            self.assert_error()
        self.assert_no_libvirt_call()

    def test_delete_names_not_in_chain_refused(self):
        for to_merge, target in (('volume-2', None),
                                 ('volume-1.snap-a', 'volume-9'),
                                 ('passwd', 'volume-1'),
                                 ('volume-1.snap-b', None)):
            self.update.reset_mock()
            self.assertRaises(exception.InvalidInput, self.delete,
                              to_merge, target)
            self.assert_error()
        self.dom.blockCommit.assert_not_called()
        self.dom.blockRebase.assert_not_called()

    def test_delete_image_in_other_directory_is_not_in_chain(self):
        # The same basename elsewhere is another file.
        self.xml = self.xml.replace(
            "%svolume-1'" % VOLDIR, "/somewhere/else/volume-1'")
        self.assertRaises(exception.InvalidInput, self.delete,
                          'volume-1.snap-a', 'volume-1')
        self.dom.blockCommit.assert_not_called()

    def test_delete_volume_not_attached(self):
        self.xml = domain_xml()
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'volume-1', None)
        self.assertIn("Disk with id '%s' not found" % VOLUME_ID, str(ex))
        self.assert_error()

    def test_delete_instance_not_running(self):
        self.get_guest.side_effect = exception.InstanceNotFound(
            instance_id=uuids.fake)
        self.assertRaises(exception.InstanceNotRunning, self.delete,
                          'volume-1', None)
        self.assert_error()


class VolumeSnapshotDeleteOfflineTestCase(VolumeSnapshotBase):
    """A shut-off domain: qemu-img, as Nova does for a pull, and more."""

    def setUp(self):
        super().setUp()
        self.dom.isActive.return_value = 0
        self.info = self.useFixture(fixtures.MockPatch(
            'nova_lightsnap.engine.images.info')).mock
        self.qemu_img = self.useFixture(fixtures.MockPatch(
            'nova_lightsnap.engine.images.qemu_img')).mock

    def offline(self, kind='file'):
        """Inactive XML (active image only) and qemu-img's chain."""
        self.xml = domain_xml(volume_disk([THREE[0][:1] + (None, 'qcow2')],
                                          kind=kind))
        if kind == 'file':
            prefix = VOLDIR
        else:
            prefix = 'gluster://127.0.0.2:24007/lightsnap/'
        self.info.return_value = [
            {'filename': prefix + 'volume-1.snap-b', 'format': 'qcow2',
             'backing-filename': 'volume-1.snap-a',
             'full-backing-filename': prefix + 'volume-1.snap-a'},
            {'filename': prefix + 'volume-1.snap-a', 'format': 'qcow2',
             'backing-filename': 'volume-1',
             'full-backing-filename': prefix + 'volume-1'},
            {'filename': prefix + 'volume-1', 'format': 'raw'}]
        return prefix

    def delete(self, file_to_merge, merge_target_file):
        self.drvr.volume_snapshot_delete(
            self.c, objects.Instance(**self.inst), VOLUME_ID, SNAPSHOT_ID,
            {'type': 'qcow2', 'file_to_merge': file_to_merge,
             'merge_target_file': merge_target_file})

    def assert_no_block_job(self):
        self.dom.blockCommit.assert_not_called()
        self.dom.blockRebase.assert_not_called()

    def test_pull_with_qemu_img_rebase(self):
        prefix = self.offline()
        self.delete('volume-1', None)
        self.qemu_img.assert_called_once_with(
            'rebase', '-q', '-f', 'qcow2', '-F', 'raw', '-b', 'volume-1',
            prefix + 'volume-1.snap-b')
        self.assertTrue(self.info.call_args[1]['backing_chain'])
        self.assert_no_block_job()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'deleting')

    def test_pull_null_base(self):
        prefix = self.offline()
        self.info.return_value = [
            dict(self.info.return_value[0], **{
                'backing-filename': 'volume-1',
                'full-backing-filename': prefix + 'volume-1'}),
            self.info.return_value[2]]
        self.delete(None, None)
        self.qemu_img.assert_called_once_with(
            'rebase', '-q', '-f', 'qcow2', '-b', '',
            prefix + 'volume-1.snap-b')

    def test_pull_gluster_urls(self):
        # Upstream refuses network disks here.
        prefix = self.offline(kind='gluster')
        self.delete('volume-1', None)
        self.assertEqual(prefix + 'volume-1.snap-b',
                         self.info.call_args[0][0].url)
        self.qemu_img.assert_called_once_with(
            'rebase', '-q', '-f', 'qcow2', '-F', 'raw', '-b', 'volume-1',
            prefix + 'volume-1.snap-b')
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'deleting')

    def test_intermediate_commit(self):
        # Upstream calls blockCommit, which libvirt refuses on a shut-off
        # domain.
        prefix = self.offline(kind='gluster')
        self.delete('volume-1.snap-a', 'volume-1')
        self.assertEqual([
            mock.call('commit', '-p', '-d', '-f', 'qcow2',
                      '-b', prefix + 'volume-1', prefix + 'volume-1.snap-a',
                      progress=mock.ANY, crash_retries=1),
            mock.call('rebase', '-q', '-u', '-f', 'qcow2', '-F', 'raw',
                      '-b', 'volume-1', prefix + 'volume-1.snap-b')],
            self.qemu_img.call_args_list)
        self.conn.defineXML.assert_not_called()
        self.assert_no_block_job()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID, 'deleting')

    def test_active_commit_redefines_domain(self):
        prefix = self.offline()
        self.delete('volume-1.snap-b', 'volume-1.snap-a')
        self.qemu_img.assert_called_once_with(
            'commit', '-p', '-d', '-f', 'qcow2', '-b',
            prefix + 'volume-1.snap-a', prefix + 'volume-1.snap-b',
            progress=mock.ANY, crash_retries=1)
        defined = self.conn.defineXML.call_args[0][0]
        self.assertIn('<source file="%svolume-1.snap-a" />' % VOLDIR,
                      defined)

    def test_name_not_in_offline_chain(self):
        self.offline()
        self.assertRaises(exception.InvalidInput, self.delete,
                          'volume-7', None)
        self.qemu_img.assert_not_called()
        self.update.assert_called_once_with(self.c, SNAPSHOT_ID,
                                            'error_deleting')

    def test_netfs_refused(self):
        self.xml = domain_xml(volume_disk([('root.img', None, 'qcow2')],
                                          kind='network', protocol='netfs'))
        ex = self.assertRaises(exception.InternalError, self.delete,
                               'snap.img', None)
        self.assertIn('netfs', str(ex))
        self.info.assert_not_called()
        self.qemu_img.assert_not_called()


class BackingRefTestCase(test.NoDBTestCase):
    """Where qemu-img's backing names point, for the offline chain."""

    def test_spellings(self):
        from nova_lightsnap.chain import ImageRef
        file_ref = ImageRef('file', '/v/a')
        gluster = ImageRef('gluster', 'dir/a', host='h', port=24007,
                           volume='vol')
        cases = [
            (file_ref, {'backing-filename': 'b'}, ImageRef('file', '/v/b')),
            (file_ref, {'backing-filename': '/w/b'},
             ImageRef('file', '/w/b')),
            (file_ref, {'backing-filename': '../w/b',
                        'full-backing-filename': '/v/../w/b'},
             ImageRef('file', '/w/b')),
            (gluster, {'backing-filename': 'b'}, gluster.sibling('b')),
            (gluster, {'backing-filename': 'gluster://h:24008/vol/x/b'},
             ImageRef('gluster', 'x/b', host='h', port=24008,
                      volume='vol')),
            (gluster, {'backing-filename': 'sub/b'},
             ImageRef('gluster', 'dir/sub/b', host='h', port=24007,
                      volume='vol')),
            (gluster, {'backing-filename': '../../b'}, None),
            (gluster, {'backing-filename': 'json:{}'}, None),
            (file_ref, {}, None),
        ]
        for ref, entry, expected in cases:
            self.assertEqual(expected,
                             volume_snapshots.backing_ref(ref, entry), entry)
