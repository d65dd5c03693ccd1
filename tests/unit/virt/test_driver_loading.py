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

"""nova-compute finds the driver by name, and the [lightsnap] options."""

import configparser
import io
import os
import sys

import fixtures
from oslo_config import cfg
from oslo_config import generator

import nova.conf
from nova import test
from nova.tests import fixtures as nova_fixtures
import nova.virt
from nova.virt import driver as virt_driver
from nova.virt import fake
from nova.virt.libvirt import driver as libvirt_driver

from nova_lightsnap.conf import lightsnap as lightsnap_conf
from nova_lightsnap.virt import driver

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SHIM = ('nova.virt.lightsnap', 'nova.virt.lightsnap.driver')


class LoadComputeDriverTestCase(test.NoDBTestCase):
    """Through Nova's own nova.virt.driver.load_compute_driver.

    An installed nova-lightsnap puts the shim package inside Nova's
    package directory (nova/virt/lightsnap/). From the source tree, the
    test appends the repository's nova/virt directory to nova.virt.__path__
    (after Nova's own, so an installed shim wins): the same lookup the
    import system does for an installed one, and undone afterwards.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.__path__',
            list(nova.virt.__path__) + [os.path.join(REPO, 'nova', 'virt')]))
        loaded = {name: sys.modules[name] for name in SHIM
                  if name in sys.modules}
        self.addCleanup(self._restore_modules, loaded)

    @staticmethod
    def _restore_modules(loaded):
        for name in SHIM:
            sys.modules.pop(name, None)
        sys.modules.update(loaded)

    def test_compute_driver_option_loads_our_driver(self):
        self.flags(compute_driver='lightsnap.driver.LightSnapLibvirtDriver')
        drv = virt_driver.load_compute_driver(fake.FakeVirtAPI())
        self.assertIsInstance(drv, driver.LightSnapLibvirtDriver)
        self.assertIsInstance(drv, libvirt_driver.LibvirtDriver)
        self.assertIs(driver.LightSnapLibvirtDriver,
                      sys.modules['nova.virt.lightsnap.driver']
                      .LightSnapLibvirtDriver)

    def test_shim_does_not_shadow_nova(self):
        # No nova/__init__.py nor nova/virt/__init__.py of ours: Nova's own
        # package stays the one imported.
        self.assertFalse(os.path.exists(os.path.join(REPO, 'nova',
                                                     '__init__.py')))
        self.assertFalse(os.path.exists(os.path.join(REPO, 'nova', 'virt',
                                                     '__init__.py')))
        self.assertTrue(nova.virt.__file__.endswith(
            os.path.join('nova', 'virt', '__init__.py')))
        self.assertNotEqual(os.path.join(REPO, 'nova', 'virt'),
                            os.path.dirname(nova.virt.__file__))


class ConfTestCase(test.NoDBTestCase):

    def test_options_registered_on_nova_conf(self):
        conf = nova.conf.CONF
        self.assertEqual(3600, conf.lightsnap.job_timeout)
        self.assertEqual('libgfapi', conf.lightsnap.gluster_transport)
        self.flags(gluster_transport='fuse', group='lightsnap')
        self.assertEqual('fuse', conf.lightsnap.gluster_transport)
        self.assertRaises(ValueError, self.flags,
                          gluster_transport='nfs', group='lightsnap')
        self.assertRaises(ValueError, self.flags, job_timeout=0,
                          group='lightsnap')
        # A volume merge must end before Cinder stops waiting (7,200 s,
        # less the wait for a light-snapshot operation and a margin).
        self.flags(volume_job_timeout=6600, group='lightsnap')
        self.assertRaises(ValueError, self.flags, volume_job_timeout=6601,
                          group='lightsnap')
        self.assertIn('7200 s', lightsnap_conf.OPTS[1].help)

    def test_list_opts(self):
        [(group, opts)] = lightsnap_conf.list_opts()
        self.assertEqual('lightsnap', group.name)
        self.assertEqual(['job_timeout', 'volume_job_timeout',
                          'merge_bandwidth',
                          'gluster_transport', 'gluster_image_owner',
                          'glusterfs_mount_point_base',
                          'glusterfs_mount_options', 'live_migration',
                          'keep_store_on_destroy', 'export_dir',
                          'image_snapshot_wait', 'state_dir'],
                         [o.name for o in opts])
        for opt in opts:
            self.assertTrue(opt.help, opt.name)

    def test_entry_point_in_setup_cfg(self):
        setup = configparser.ConfigParser()
        setup.read(os.path.join(REPO, 'setup.cfg'))
        entries = setup['entry_points']['oslo.config.opts'].split('\n')
        self.assertIn('nova_lightsnap = nova_lightsnap.conf.opts:list_opts',
                      [e.strip() for e in entries])

    def test_sample_is_generator_output(self):
        """etc/nova-lightsnap.conf.sample is what the generator writes now.

        Regenerate with: oslo-config-generator --config-file
        etc/nova-lightsnap-config-generator.conf (package installed).
        """
        self.useFixture(fixtures.MockPatch(
            'oslo_config.generator._get_raw_opts_loaders',
            return_value=[('nova_lightsnap', lightsnap_conf.list_opts)]))
        self.useFixture(fixtures.MockPatch(
            'oslo_config.generator._get_opt_default_updaters',
            return_value=[]))
        conf = cfg.ConfigOpts()
        generator.register_cli_opts(conf)
        conf(['--config-file', os.path.join(
            REPO, 'etc', 'nova-lightsnap-config-generator.conf')])
        self.assertEqual(['nova_lightsnap'], conf.namespace)
        out = io.StringIO()
        generator.generate(conf, output_file=out)
        with open(os.path.join(REPO, conf.output_file)) as sample:
            self.assertEqual(sample.read(), out.getvalue())
