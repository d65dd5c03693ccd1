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

"""The file names of overlays, layers and kept files."""

from nova_lightsnap.engine import layout

from tests.support import testcase


class LayoutTest(testcase.TestCase):

    def test_overlay_names(self):
        self.assertEqual('disk.ls0007.qcow2',
                         layout.overlay_name('disk', 7))
        self.assertEqual('vm-vda.ls0012.qcow2',
                         layout.overlay_name('vm-vda.qcow2', 12))

    def test_layer_index(self):
        self.assertEqual(7, layout.layer_index('disk.ls0007.qcow2'))
        self.assertEqual(12345, layout.layer_index('vm.ls12345.qcow2'))
        self.assertIsNone(layout.layer_index('disk'))

    def test_kept_names_stay_in_the_store(self):
        self.assertEqual('u.lightsnap-store/s1/vda-disk.ls0001.qcow2',
                         layout.kept_name('u', 's1', 'vda',
                                          'disk.ls0001.qcow2'))
