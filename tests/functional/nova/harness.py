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

"""Nova's functional harness with nova-compute running our driver."""

from importlib import metadata as importlib_metadata
import warnings

from oslo_policy import opts as policy_opts
from sqlalchemy import exc as sqla_exc

import fixtures

import nova.conf
from nova.tests.functional.libvirt import base

from nova_lightsnap.conf import lightsnap as lightsnap_conf

# The tests set [lightsnap] options before nova-compute loads the driver.
lightsnap_conf.register_opts(nova.conf.CONF)


class LightSnapServersTestBase(base.ServersTestBase):
    """In-process nova-api, conductor, scheduler, placement and computes
    whose ``compute_driver`` is set as nova.conf sets it, so that Nova's own
    loader goes through the shim package nova.virt.lightsnap."""

    def setUp(self):
        # Placement's fixture changes the defaults of oslo.policy's options,
        # which every configuration in the process shares, and leaves them:
        # later tests in this process (the API's policy, Horizon's) would
        # run on the old policy defaults.
        saved = {opt: opt.default for opt in policy_opts._options}
        self.addCleanup(lambda: [setattr(opt, 'default', default)
                                 for opt, default in saved.items()])
        # Nova's fake domains lack the call that lists libvirt's own
        # snapshots, which the engine makes before every operation.
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.libvirt.Domain.listAllSnapshots',
            lambda dom, flags=0: []))
        super().setUp()

    def _setup_services(self):
        # pip installs Nova's api-paste.ini under <prefix>/etc/nova, which
        # Nova's test configuration (written for a source tree) misses.
        dist = importlib_metadata.distribution('nova')
        paste = [f for f in dist.files
                 if str(f).endswith('etc/nova/api-paste.ini')]
        self.flags(api_paste_config=str(dist.locate_file(paste[0])),
                   group='wsgi')
        # Nova's WarningsFixture makes SQLAlchemy deprecations from nova
        # errors; Nova 34's noload() is deprecated in SQLAlchemy 2.1.
        warnings.filterwarnings(
            'ignore', message=r'The noload\(\) option is deprecated',
            category=sqla_exc.SADeprecationWarning)
        super()._setup_services()

    def _setup_compute_service(self):
        # As nova.conf says it; Nova's loader prefixes 'nova.virt.'.
        self.flags(compute_driver='lightsnap.driver.LightSnapLibvirtDriver')
