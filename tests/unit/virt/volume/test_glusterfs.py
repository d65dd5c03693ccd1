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

"""The restored GlusterFS volume driver and its place in the driver's map."""

from unittest import mock

import fixtures
import libvirt
from oslo_utils.fixture import uuidsentinel as uuids

from nova import exception
from nova import objects
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova import utils
from nova.virt import fake
from nova.virt.libvirt.volume import nfs

from nova_lightsnap import chain
from nova_lightsnap.engine import images
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap.virt import driver
from nova_lightsnap.virt.volume import glusterfs

VOLUME_ID = '0e38683e-f0af-418f-a3f1-6b67ea0f919d'
DISK_INFO = {'type': 'disk', 'dev': 'vdb', 'bus': 'virtio'}
CAPABILITIES = """<capabilities><host>
  <secmodel><model>none</model><doi>0</doi></secmodel>
  <secmodel><model>dac</model><doi>0</doi>
    <baselabel type='kvm'>+107:+108</baselabel>
    <baselabel type='qemu'>+64055:+64055</baselabel>
  </secmodel>
</host></capabilities>"""
KEEP_OWNER = '<seclabel model="dac" relabel="no"/>'


def connection_info(**data):
    info = {'export': '192.168.1.1:/lightsnap',
            'name': 'volume-%s' % VOLUME_ID, 'format': 'qcow2'}
    info.update(data)
    return {'driver_volume_type': 'glusterfs', 'serial': VOLUME_ID,
            'data': info}


class GlusterfsVolumeDriverTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.host = mock.Mock()
        self.host.find_secret.return_value = None
        self.host.get_connection.return_value.getCapabilities.return_value = (
            CAPABILITIES)
        self.vol = glusterfs.LibvirtGlusterfsVolumeDriver(self.host)
        self.instance = objects.Instance(uuid=uuids.instance)
        self.mount = self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.volume.mount.mount')).mock
        self.umount = self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.volume.mount.umount')).mock
        self.gluster_driver = self.useFixture(fixtures.MockPatchObject(
            qemu_gluster, 'available', return_value=True)).mock
        self.give_owner = self.useFixture(fixtures.MockPatchObject(
            images, 'give_owner', return_value=True)).mock

    def test_libgfapi_network_disk(self):
        info = connection_info()
        self.vol.connect_volume(info, self.instance)
        self.mount.assert_not_called()
        self.assertNotIn('device_path', info['data'])
        conf = self.vol.get_config(info, DISK_INFO)
        self.assertEqual('network', conf.source_type)
        self.assertEqual('gluster', conf.source_protocol)
        self.assertEqual('lightsnap/volume-%s' % VOLUME_ID, conf.source_name)
        self.assertEqual(['192.168.1.1'], conf.source_hosts)
        self.assertEqual(['24007'], conf.source_ports)
        self.assertEqual('qcow2', conf.driver_format)
        xml = conf.to_xml()
        self.assertIn('<source protocol="gluster" name="lightsnap/volume-%s">'
                      % VOLUME_ID, xml)
        self.assertIn('<host name="192.168.1.1" port="24007"/>', xml)
        self.assertIn('<serial>%s</serial>' % VOLUME_ID, xml)
        self.vol.disconnect_volume(info, self.instance)
        self.umount.assert_not_called()

    def test_libgfapi_image_gets_libvirts_owner_and_keeps_it(self):
        self.flags(virt_type='qemu', group='libvirt')
        conf = self.vol.get_config(connection_info(), DISK_INFO)
        self.give_owner.assert_called_once_with(
            chain.ImageRef('gluster', 'volume-%s' % VOLUME_ID,
                           host='192.168.1.1', port=24007,
                           volume='lightsnap'), (64055, 64055))
        # Nova sets attributes after get_config; the seclabel follows them.
        conf.target_dev = 'vdc'
        xml = conf.to_xml()
        self.assertIn('<source protocol="gluster" name="lightsnap/volume-%s">'
                      '<host name="192.168.1.1" port="24007"/>%s</source>'
                      % (VOLUME_ID, KEEP_OWNER), xml.replace('\n', '')
                      .replace('  ', ''))
        self.assertIn('<target dev="vdc"', xml)

    def test_owner_of_the_hosts_virt_type(self):
        self.flags(virt_type='kvm', group='libvirt')
        self.vol.get_config(connection_info(), DISK_INFO)
        self.assertEqual((107, 108), self.give_owner.call_args.args[1])

    def test_owner_left_to_libvirt_when_it_cannot_be_given(self):
        self.give_owner.return_value = False
        xml = self.vol.get_config(connection_info(), DISK_INFO).to_xml()
        self.assertNotIn('seclabel', xml)
        self.give_owner.assert_called_once()

    def test_owner_left_to_libvirt_when_configured(self):
        self.flags(gluster_image_owner=False, group='lightsnap')
        xml = self.vol.get_config(connection_info(), DISK_INFO).to_xml()
        self.assertNotIn('seclabel', xml)
        self.give_owner.assert_not_called()

    def test_owner_left_to_libvirt_without_a_dac_label(self):
        getcaps = self.host.get_connection.return_value.getCapabilities
        for caps in ('<capabilities><host/></capabilities>',
                     libvirt.libvirtError('no connection')):
            self.give_owner.reset_mock()
            getcaps.side_effect = [caps]
            xml = self.vol.get_config(connection_info(), DISK_INFO).to_xml()
            self.assertNotIn('seclabel', xml)
            self.give_owner.assert_not_called()

    def test_fuse_file_owner_left_to_libvirt(self):
        self.flags(gluster_transport='fuse', group='lightsnap')
        info = connection_info()
        self.vol.connect_volume(info, self.instance)
        xml = self.vol.get_config(info, DISK_INFO).to_xml()
        self.assertNotIn('seclabel', xml)
        self.give_owner.assert_not_called()

    def test_libgfapi_without_qemu_driver_refused_with_advice(self):
        self.gluster_driver.return_value = False
        ex = self.assertRaises(exception.VolumeAttachFailed,
                               self.vol.connect_volume, connection_info(),
                               self.instance)
        self.assertIn(VOLUME_ID, str(ex))
        self.assertIn("qemu-img: Unknown driver 'gluster'", str(ex))
        self.assertIn('[lightsnap] gluster_transport = fuse', str(ex))
        self.mount.assert_not_called()

    def test_fuse_needs_no_qemu_gluster(self):
        self.gluster_driver.return_value = False
        self.flags(gluster_transport='fuse', group='lightsnap')
        self.vol.connect_volume(connection_info(), self.instance)
        self.mount.assert_called_once()
        self.gluster_driver.assert_not_called()

    def test_libgfapi_exports(self):
        for export, host, volume in (
                ('h.example.com:/vol', 'h.example.com', 'vol'),
                ('10.0.0.2:vol-1', '10.0.0.2', 'vol-1'),
                ('[fd00::2]:/vol_2/', 'fd00::2', 'vol_2')):
            conf = self.vol.get_config(connection_info(export=export),
                                       DISK_INFO)
            self.assertEqual([host], conf.source_hosts)
            self.assertEqual('%s/volume-%s' % (volume, VOLUME_ID),
                             conf.source_name)

    def test_default_format_raw(self):
        info = connection_info()
        del info['data']['format']
        self.assertEqual('raw', self.vol.get_config(info, DISK_INFO)
                         .driver_format)

    def test_bad_export_or_name_refused(self):
        for data in ({'export': 'no-volume'}, {'export': 'h:/a/b'},
                     {'export': 'h:/..'}, {'export': None},
                     {'export': 'h:/v\n'}, {'name': '../etc/passwd'},
                     {'name': 'a/b'}, {'name': ''}, {'name': 'v\n'}):
            info = connection_info(**data)
            self.assertRaises(exception.InvalidVolume, self.vol.get_config,
                              info, DISK_INFO)
            self.assertRaises(exception.InvalidVolume,
                              self.vol.connect_volume, info, self.instance)
        self.mount.assert_not_called()

    def test_fuse_mount(self):
        self.flags(gluster_transport='fuse', group='lightsnap')
        self.flags(glusterfs_mount_point_base='/mnt/gluster',
                   group='lightsnap')
        self.flags(glusterfs_mount_options='backup-volfile-servers=h2',
                   group='lightsnap')
        info = connection_info(options='-o log-level=WARNING')
        self.vol.connect_volume(info, self.instance)
        mountpoint = '/mnt/gluster/%s' % utils.get_hash_str(
            '192.168.1.1:/lightsnap')
        self.mount.assert_called_once_with(
            'glusterfs', '192.168.1.1:/lightsnap', 'volume-%s' % VOLUME_ID,
            mountpoint, self.instance,
            ['-o', 'backup-volfile-servers=h2', '-o', 'log-level=WARNING'])
        self.assertEqual('%s/volume-%s' % (mountpoint, VOLUME_ID),
                         info['data']['device_path'])
        conf = self.vol.get_config(info, DISK_INFO)
        self.assertEqual('file', conf.source_type)
        self.assertEqual(info['data']['device_path'], conf.source_path)
        self.assertEqual('qcow2', conf.driver_format)
        self.vol.disconnect_volume(info, self.instance)
        self.umount.assert_called_once_with('volume-%s' % VOLUME_ID,
                                            mountpoint, self.instance)

    def test_mount_point_base_default(self):
        self.flags(state_path='/var/lib/nova')
        self.assertEqual('/var/lib/nova/mnt',
                         self.vol._get_mount_point_base())

    def test_fuse_attachment_released_after_switch_to_libgfapi(self):
        info = connection_info(device_path='/mnt/x/volume-1')
        self.vol.disconnect_volume(info, self.instance)
        self.umount.assert_called_once()


class VolumeDriverMapTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.drvr = driver.LightSnapLibvirtDriver(fake.FakeVirtAPI(), False)

    def test_glusterfs_registered_and_cached(self):
        vol_driver = self.drvr._get_volume_driver(connection_info())
        self.assertIsInstance(vol_driver,
                              glusterfs.LibvirtGlusterfsVolumeDriver)
        self.assertIs(vol_driver, self.drvr.volume_drivers['glusterfs'])
        self.assertIs(vol_driver,
                      self.drvr._get_volume_driver(connection_info()))
        self.assertIs(self.drvr._host, vol_driver.host)

    def test_glusterfs_config_through_driver(self):
        conf = self.drvr._get_volume_config(connection_info(), DISK_INFO)
        self.assertEqual('gluster', conf.source_protocol)

    def test_nova_drivers_unchanged(self):
        self.assertIsInstance(
            self.drvr._get_volume_driver({'driver_volume_type': 'nfs'}),
            nfs.LibvirtNFSVolumeDriver)
        self.assertRaises(exception.VolumeDriverNotFound,
                          self.drvr._get_volume_driver,
                          {'driver_volume_type': 'made-up'})
