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

"""The chain model against XML taken from real libvirt 9.0."""

import os
from xml.etree import ElementTree

from nova_lightsnap import chain

from tests.support import testcase

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


class ParseTest(testcase.TestCase):

    def test_live_file_chain_with_node_indices(self):
        disks = chain.parse_disks(fixture('live-file-2disks.xml'))
        self.assertEqual(['vda', 'vdb'], [d.target for d in disks])
        vda = disks[0]
        self.assertEqual(['/srv/images/a.2.qcow2', '/srv/images/a.qcow2'],
                         [i.ref.path for i in vda.chain])
        # Node ids, not depths: never 0 for the active image.
        self.assertEqual([5, 2], [i.index for i in vda.chain])
        self.assertEqual('vda[2]', vda.index_name(
            chain.ImageRef('file', '/srv/images/a.qcow2')))
        self.assertIsNone(vda.index_name(
            chain.ImageRef('file', '/srv/images/other.qcow2')))

    def test_inactive_xml_has_no_indices(self):
        disks = chain.parse_disks(fixture('inactive-file-2disks.xml'))
        self.assertTrue(all(i.index is None for d in disks for i in d.chain))

    def test_gluster_chain(self):
        disks = {d.target: d for d in chain.parse_disks(
            fixture('live-gluster.xml'))}
        vdb = disks['vdb']
        self.assertEqual('gluster', vdb.active.ref.kind)
        self.assertEqual('lightsnap', vdb.active.ref.volume)
        self.assertEqual('127.0.0.2', vdb.active.ref.host)
        self.assertEqual(24007, vdb.active.ref.port)
        self.assertGreater(len(vdb.chain), 1)
        self.assertTrue(vdb.active.ref.url.startswith(
            'gluster://127.0.0.2:24007/lightsnap/'))
        for image in vdb.chain:
            self.assertIsNotNone(image.index)
        self.assertEqual('file', disks['vda'].active.ref.kind)

    def test_gluster_paths_have_one_spelling(self):
        xml = """<domain><devices><disk type='network' device='disk'>
          <driver type='qcow2'/>
          <source protocol='gluster' name='vol/a.ls0001.qcow2' index='3'>
            <host name='127.0.0.2' port='24007'/></source>
          <backingStore type='network' index='1'><format type='qcow2'/>
            <source protocol='gluster' name='vol/./a.qcow2'>
              <host name='127.0.0.2' port='24007'/></source>
          </backingStore><target dev='vdb'/></disk></devices></domain>"""
        disk = chain.parse_disks(xml)[0]
        self.assertEqual(disk.active.ref.sibling('a.qcow2'),
                         disk.chain[1].ref)

    def test_mirror_ready_during_active_commit(self):
        disks = {d.target: d for d in chain.parse_disks(
            fixture('live-active-commit-ready.xml'))}
        self.assertEqual({'job': 'active-commit', 'ready': True},
                         disks['vda'].mirror)

    def test_cdrom_readonly_and_shareable_disks_are_left_out(self):
        xml = """<domain><devices>
          <disk type='file' device='cdrom'><source file='/x.iso'/>
            <target dev='sda'/></disk>
          <disk type='file' device='disk'><source file='/ro.img'/>
            <readonly/><target dev='vdc'/></disk>
          <disk type='file' device='disk'><source file='/sh.img'/>
            <shareable/><target dev='vdd'/></disk>
          <disk type='file' device='disk'><driver type='qcow2'/>
            <source file='/a.qcow2'/><target dev='vda'/></disk>
        </devices></domain>"""
        self.assertEqual(['vda'], [d.target for d in
                                   chain.parse_disks(xml)])

    def test_disk_targets_name_every_disk(self):
        xml = """<domain><devices>
          <disk type='file' device='cdrom'><target dev='hda'/></disk>
          <disk type='network' device='disk'>
            <source protocol='rbd' name='pool/img'/><target dev='vdb'/>
          </disk>
          <disk type='file' device='disk'><source file='/a.qcow2'/>
            <target dev='vda'/></disk>
        </devices></domain>"""
        self.assertEqual(['hda', 'vdb', 'vda'], chain.disk_targets(xml))

    def test_unsupported_disk_types_are_named(self):
        xml = """<domain><devices>
          <disk type='network' device='disk'><driver type='raw'/>
            <source protocol='rbd' name='pool/img'/><target dev='vda'/>
          </disk></devices></domain>"""
        exc = self.assertRaises(chain.UnsupportedDisk, chain.parse_disks,
                                xml)
        self.assertIn('vda', str(exc))
        self.assertIn('rbd', str(exc))

    def test_set_disk_sources_rewrites_and_drops_backing(self):
        xml = fixture('live-file-2disks.xml')
        new = chain.set_disk_sources(xml, {
            'vda': (chain.ImageRef('file', '/srv/images/a.ls0009.qcow2'),
                    'qcow2')})
        disks = {d.target: d for d in chain.parse_disks(new)}
        self.assertEqual('/srv/images/a.ls0009.qcow2',
                         disks['vda'].active.ref.path)
        self.assertEqual(1, len(disks['vda'].chain))
        self.assertRaises(ValueError, chain.set_disk_sources, xml,
                          {'vdz': (disks['vda'].active.ref, 'qcow2')})

    def test_set_disk_sources_says_which_network_images_keep_owner(self):
        xml = fixture('live-gluster.xml')
        vdb = {d.target: d for d in chain.parse_disks(xml)}['vdb']
        ref = vdb.active.ref.sibling('b.ls0009.qcow2')
        sources = {'vdb': (ref, 'qcow2'),
                   'vda': (chain.ImageRef('file', '/srv/a.qcow2'), 'qcow2')}
        for owned, seclabels in (((), []), ({'vdb'}, ['no']),
                                 ({'vda', 'vdb'}, ['no'])):
            new = chain.set_disk_sources(xml, sources, owned=owned)
            # Once, also when the source had one already.
            new = chain.set_disk_sources(new, sources, owned=owned)
            root = ElementTree.fromstring(new)
            self.assertEqual(seclabels, [
                label.get('relabel') for label in
                root.iterfind('./devices/disk/source/seclabel')
                if label.get('model') == 'dac'])
            disks = {d.target: d for d in chain.parse_disks(new)}
            self.assertEqual(ref, disks['vdb'].active.ref)

    def test_agent_channel(self):
        self.assertFalse(chain.domain_has_agent_channel(
            fixture('live-file-2disks.xml')))
        self.assertTrue(chain.domain_has_agent_channel(
            fixture('live-active-commit-ready.xml')))

    def test_dac_image_owner(self):
        self.assertEqual((64055, 64055), chain.dac_image_owner(
            fixture('live-file-2disks.xml')))
        for seclabels in ('',
                          "<seclabel type='dynamic' model='apparmor'>"
                          "<imagelabel>+1:+1</imagelabel></seclabel>",
                          "<seclabel type='static' model='dac'>"
                          "<imagelabel>qemu:qemu</imagelabel></seclabel>"):
            self.assertIsNone(chain.dac_image_owner(
                '<domain>%s</domain>' % seclabels))


class ImageRefTest(testcase.TestCase):

    def test_gluster_url_quotes_the_path(self):
        ref = chain.ImageRef('gluster', 'dir/a b.qcow2', host='h', port=1,
                             volume='v')
        self.assertEqual('gluster://h:1/v/dir/a%20b.qcow2', ref.url)
        self.assertEqual('dir/c.qcow2', ref.sibling('c.qcow2').path)
        self.assertEqual(ref, chain.ImageRef.from_dict(ref.to_dict()))
