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

"""The lifecycle events the driver passes to Nova's compute manager while a
light-snapshot revert has the domain off (the real revert through Nova:
tests/system/test_light_snapshots.py)."""

from oslo_utils.fixture import uuidsentinel as uuids

from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.virt import event as virtevent
from nova.virt import fake

from nova_lightsnap.virt import driver


class LifecycleEventsTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.flags(virt_type='qemu', group='libvirt')
        self.drvr = driver.LightSnapLibvirtDriver(fake.FakeVirtAPI(), False)
        self.passed = []
        self.drvr.register_event_listener(self.passed.append)

    def emit(self, transition):
        self.drvr.emit_event(virtevent.LifecycleEvent(uuids.inst, transition))
        return [e.transition for e in self.passed]

    def test_a_stop_during_a_revert_is_not_passed_on(self):
        operations = self.drvr.lightsnap_operations
        for op in ('revert', 'set-restore'):
            self.passed.clear()
            operations._begin([uuids.inst], op)
            self.assertEqual([], self.emit(virtevent.EVENT_LIFECYCLE_STOPPED))
            self.assertEqual([virtevent.EVENT_LIFECYCLE_STARTED],
                             self.emit(virtevent.EVENT_LIFECYCLE_STARTED))
            operations._jobs.clear()

    def test_other_stops_are_passed_on(self):
        self.assertEqual([virtevent.EVENT_LIFECYCLE_STOPPED],
                         self.emit(virtevent.EVENT_LIFECYCLE_STOPPED))
        # A create runs: a stop meanwhile is the guest's own.
        self.drvr.lightsnap_operations._begin([uuids.inst], 'create')
        self.assertEqual([virtevent.EVENT_LIFECYCLE_STOPPED] * 2,
                         self.emit(virtevent.EVENT_LIFECYCLE_STOPPED))
