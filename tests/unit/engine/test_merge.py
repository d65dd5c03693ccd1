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

"""The snapshot XML that libvirt's external snapshot is asked for."""

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import merge

from tests.support import testcase


class SnapshotXmlTest(testcase.TestCase):

    def test_uncovered_disks_are_listed_as_no(self):
        xml = merge.snapshot_xml(
            {'vda': ImageRef('file', "/i/disk.ls0001'.qcow2")},
            uncovered={'vdb', 'hda'})
        self.assertEqual(
            "<domainsnapshot><disks>"
            "<disk name='hda' snapshot='no'/>"
            "<disk name='vdb' snapshot='no'/>"
            "<disk name='vda' snapshot='external' type='file'>"
            "<driver type='qcow2'/>"
            "<source file='/i/disk.ls0001&apos;.qcow2'/></disk>"
            "</disks></domainsnapshot>", xml)

    def test_gluster_overlay_of_ours_keeps_its_owner(self):
        ref = ImageRef('gluster', 'disk.ls0002.qcow2', host='127.0.0.2',
                       port=24007, volume='vol')
        owned = merge.snapshot_xml({'vda': ref}, owned=True)
        self.assertEqual(
            "<domainsnapshot><disks>"
            "<disk name='vda' snapshot='external' type='network'>"
            "<driver type='qcow2'/>"
            "<source protocol='gluster' name='vol/disk.ls0002.qcow2'>"
            "<host name='127.0.0.2' port='24007'/>"
            "<seclabel model='dac' relabel='no'/>"
            "</source></disk></disks></domainsnapshot>", owned)
        # A volume snapshot's new file is Cinder's: libvirt still chowns.
        self.assertNotIn('seclabel', merge.snapshot_xml({'vda': ref}))

    def test_file_overlay_is_relabelled_as_before(self):
        ref = ImageRef('file', '/i/disk.ls0002.qcow2')
        self.assertNotIn('seclabel',
                         merge.snapshot_xml({'vda': ref}, owned=True))
