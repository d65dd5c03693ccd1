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

"""What is said about libvirt's own snapshots depends on what libvirt can
do, read from its capabilities (the real refusal: tests/functional/
test_foreign_snapshots.py)."""

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import foreign
from tests.support import testcase

CAPS = """<capabilities><host/><guest><os_type>hvm</os_type>
<arch name='x86_64'/><features><acpi default='on' toggle='yes'/>%s
</features></guest></capabilities>"""

EXTERNAL = """<domainsnapshot><name>%s</name><memory snapshot='no'/>
<disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>"""
INTERNAL = """<domainsnapshot><name>%s</name><memory snapshot='internal'/>
<disks><disk name='vda' snapshot='internal'/></disks></domainsnapshot>"""


class Conn:
    def __init__(self, feature):
        self.caps = CAPS % ('<externalSnapshot/>' if feature else '')

    def getCapabilities(self):
        return self.caps


class Snap:
    def __init__(self, name, xml):
        self.name, self.xml = name, xml % name

    def getName(self):
        return self.name

    def getXMLDesc(self, flags):
        return self.xml


class Dom:
    def __init__(self, *snaps):
        self.snaps = list(snaps)

    def listAllSnapshots(self, flags):
        return self.snaps


class ForeignTest(testcase.TestCase):

    def refusal(self, feature, *snaps):
        return str(self.assertRaises(
            errors.InvalidState, foreign.refuse_libvirt_snapshots,
            Conn(feature), Dom(*snaps), 'vm1'))

    def test_the_feature_is_read_from_the_capabilities(self):
        self.assertTrue(foreign.libvirt_manages_external_snapshots(
            Conn(True)))
        self.assertFalse(foreign.libvirt_manages_external_snapshots(
            Conn(False)))

    def test_no_libvirt_snapshot_no_refusal(self):
        self.assertIsNone(foreign.refuse_libvirt_snapshots(
            Conn(False), Dom(), 'vm1'))

    def test_a_libvirt_that_cannot_merge_external_ones_is_told_to_forget(
            self):
        message = self.refusal(False, Snap('e1', EXTERNAL))
        self.assertIn('e1: external', message)
        self.assertIn('virsh snapshot-delete vm1 e1 --metadata', message)
        self.assertNotIn('merges it', message)

    def test_a_libvirt_that_merges_external_ones_is_offered_both(self):
        message = self.refusal(True, Snap('e1', EXTERNAL))
        self.assertIn('virsh snapshot-delete vm1 e1 (merges it), or with '
                      '--metadata', message)

    def test_internal_ones_are_deleted_by_libvirt(self):
        message = self.refusal(False, Snap('i1', INTERNAL),
                               Snap('e1', EXTERNAL))
        self.assertIn('(e1: external, i1: internal)', message)
        self.assertIn('virsh snapshot-delete vm1 i1;', message)
