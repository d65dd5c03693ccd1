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

"""The check of Nova's private names: a Nova upgrade that renames or
changes one stops the driver at start, saying what and which versions."""

import fixtures

from nova import test
from nova.tests import fixtures as nova_fixtures
from nova import version
from nova.virt import fake
from nova.virt.libvirt import driver as libvirt_driver
from nova.virt.libvirt import guest as libvirt_guest

from nova_lightsnap.virt import driver
from nova_lightsnap.virt import nova_private


class Base:
    def _kept(self, context, instance):
        pass


class InstalledNovaTestCase(test.NoDBTestCase):

    def test_the_installed_nova_is_the_tested_one(self):
        self.assertEqual(nova_private.TESTED_NOVA_VERSION,
                         version.version_string())
        self.assertEqual([], nova_private.problems(
            driver.LightSnapLibvirtDriver))
        self.assertEqual([], driver._NOVA_PROBLEMS)

    def test_every_private_override_is_listed(self):
        listed = {name for cls, name, _ in nova_private.EXPECTED
                  if cls is libvirt_driver.LibvirtDriver}
        for cls in (nova_private.LibvirtDriverBase,
                    driver.LightSnapLibvirtDriver):
            for name in vars(cls):
                if (name.startswith('_') and not name.startswith('__') and
                        hasattr(libvirt_driver.LibvirtDriver, name)):
                    self.assertIn(name, listed)


class SignatureTestCase(test.NoDBTestCase):

    def expected(self, name):
        return [(cls, n, sig) for cls, n, sig in nova_private.EXPECTED
                if n == name]

    def nova_changes(self, name, new=None):
        """LibvirtDriver.name replaced by ``new`` (None: removed)."""
        cls = libvirt_driver.LibvirtDriver
        self.addCleanup(setattr, cls, name, vars(cls)[name])
        if new is None:
            delattr(cls, name)
        else:
            setattr(cls, name, new)

    def test_a_missing_name(self):
        self.nova_changes('_live_snapshot')
        self.assertEqual(['LibvirtDriver._live_snapshot is gone'],
                         nova_private.signature_problems(
                             self.expected('_live_snapshot')))

    def test_a_changed_signature(self):
        def _get_volume_driver(self, connection_info, instance):
            pass
        self.nova_changes('_get_volume_driver', _get_volume_driver)
        self.assertEqual(
            ['LibvirtDriver._get_volume_driver(self, connection_info, '
             'instance), expected LibvirtDriver._get_volume_driver(self, '
             'connection_info)'],
            nova_private.signature_problems(
                self.expected('_get_volume_driver')))

    def test_annotations_do_not_count(self):
        class Annotated:
            def _f(self, a: int, b: str = 'x') -> None:
                pass
        self.assertEqual([], nova_private.signature_problems(
            [(Annotated, '_f', "(self, a, b='x')")]))

    def test_a_guest_without_its_domain(self):
        class Guest:
            def __init__(self, domain):
                self._dom = domain
        self.assertEqual([], nova_private.guest_problems(
            libvirt_guest.Guest))
        self.assertEqual(['Guest(domain)._domain is not the libvirt domain'],
                         nova_private.guest_problems(Guest))

    def test_a_name_nova_added_that_ours_hides(self):
        class Ours(Base):
            def _kept(self, context, instance):
                pass

            def _new(self):
                pass

            def spawn(self):
                pass

        self.assertEqual([], nova_private.shadow_problems(
            Ours, base=Base, expected=[(Base, '_kept', '')]))
        self.assertEqual(['Ours._kept hides Base._kept, which Nova added'],
                         nova_private.shadow_problems(
                             Ours, base=Base, expected=[(Base, '_x', '')]))
        # A public method of the virt driver interface is overridden on
        # purpose.
        Base._new = Base.spawn = lambda self: None
        self.addCleanup(delattr, Base, '_new')
        self.addCleanup(delattr, Base, 'spawn')
        self.assertEqual(['Ours._new hides Base._new, which Nova added'],
                         nova_private.shadow_problems(
                             Ours, base=Base,
                             expected=[(Base, '_kept', '')]))

    def test_an_attribute_gone(self):
        class Driver:
            _host = volume_drivers = None
        self.assertEqual(['Driver._volume_api is gone'],
                         nova_private.attribute_problems(Driver()))


class StartTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())

    def test_check_names_both_versions(self):
        exc = self.assertRaises(
            nova_private.NovaIncompatible, nova_private.check,
            ['LibvirtDriver._live_snapshot is gone'], installed='35.1.0')
        self.assertIn('tested with Nova 34.0.0', str(exc))
        self.assertIn('the installed Nova 35.1.0', str(exc))
        self.assertIn('LibvirtDriver._live_snapshot is gone', str(exc))
        self.assertIn('compute_driver = libvirt.LibvirtDriver', str(exc))
        nova_private.check([])

    def test_the_driver_refuses_to_start(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.virt.driver._NOVA_PROBLEMS',
            ['LibvirtDriver._get_guest_xml is gone']))
        exc = self.assertRaises(nova_private.NovaIncompatible,
                                driver.LightSnapLibvirtDriver,
                                fake.FakeVirtAPI(), False)
        self.assertIn('_get_guest_xml is gone', str(exc))
        self.assertIn(version.version_string(), str(exc))

    def test_the_driver_checks_nova_attributes(self):
        real_init = libvirt_driver.LibvirtDriver.__init__

        def init_without_volume_api(drvr, *args, **kwargs):
            real_init(drvr, *args, **kwargs)
            del drvr._volume_api
        self.useFixture(fixtures.MockPatchObject(
            libvirt_driver.LibvirtDriver, '__init__',
            init_without_volume_api))
        exc = self.assertRaises(nova_private.NovaIncompatible,
                                driver.LightSnapLibvirtDriver,
                                fake.FakeVirtAPI(), False)
        self.assertIn('LightSnapLibvirtDriver._volume_api is gone', str(exc))

    def test_the_driver_starts_on_the_tested_nova(self):
        drvr = driver.LightSnapLibvirtDriver(fake.FakeVirtAPI(), False)
        self.assertIs(drvr, drvr.lightsnap_locator.driver)
