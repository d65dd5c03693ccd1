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

"""lightsnap-scheduler's configuration: options and the client it builds."""

import os
import tempfile

from keystoneauth1.identity import generic
from oslo_config import cfg

import nova_lightsnap.conf
from nova_lightsnap.conf import opts as conf_opts
from nova_lightsnap.scheduler import cmd

from tests.support import testcase


class SchedulerConfTest(testcase.TestCase):

    def conf(self, text):
        fd, path = tempfile.mkstemp(suffix='.conf')
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        conf = cfg.ConfigOpts()
        nova_lightsnap.conf.register_scheduler_opts(conf)
        conf(['--config-file', path], project='lightsnap')
        return conf

    def test_defaults(self):
        conf = self.conf('')
        self.assertEqual(('02:30', 7, 300, 'auto'),
                         (conf.scheduler.daily_at, conf.scheduler.retention,
                          conf.scheduler.poll_interval,
                          conf.scheduler.quiesce))
        self.assertEqual('lightsnap', conf.lightsnap_api.service_type)

    def test_bad_daily_at_refused(self):
        conf = self.conf('[scheduler]\ndaily_at = 25:00\n')
        self.assertRaises(ValueError, lambda: conf.scheduler.daily_at)

    def test_noauth_client_is_admin(self):
        conf = self.conf('[lightsnap_api]\nendpoint_override = '
                         'http://127.0.0.1:8799\n')
        adapter = cmd.build_client(conf).http.adapter
        self.assertEqual({'X-Project-Id': 'service',
                          'X-User-Id': 'lightsnap-scheduler',
                          'X-Roles': 'admin'}, adapter.additional_headers)
        self.assertEqual('http://127.0.0.1:8799', adapter.endpoint_override)

    def test_noauth_needs_endpoint(self):
        exc = self.assertRaises(ValueError, cmd.build_client, self.conf(''))
        self.assertIn('endpoint_override', str(exc))

    def test_keystone_needs_service_user(self):
        conf = self.conf('[lightsnap_api]\nauth_strategy = keystone\n')
        exc = self.assertRaises(ValueError, cmd.build_client, conf)
        self.assertIn('auth_type', str(exc))

    def test_keystone_client_uses_catalog(self):
        conf = self.conf('[lightsnap_api]\nauth_strategy = keystone\n'
                         'auth_type = password\nauth_url = http://ks/v3\n'
                         'username = lightsnap\npassword = secret\n'
                         'project_name = service\nuser_domain_id = default\n'
                         'project_domain_id = default\nregion_name = R1\n')
        adapter = cmd.build_client(conf).http.adapter
        self.assertEqual(('lightsnap', 'R1'),
                         (adapter.service_type, adapter.region_name))
        self.assertIsInstance(adapter.session.auth, generic.Password)
        self.assertEqual('http://ks/v3', adapter.session.auth.auth_url)

    def test_main_reports_bad_config(self):
        fd, path = tempfile.mkstemp(suffix='.conf')
        os.close(fd)
        self.addCleanup(os.unlink, path)
        self.assertEqual(2, cmd.main(['--config-file', path, '--once']))

    def test_list_opts_cover_registered_groups(self):
        groups = {group.name: [o.dest for o in opts]
                  for group, opts in conf_opts.list_scheduler_opts()}
        self.assertEqual({'scheduler', 'lightsnap_api'}, set(groups))
        for name in ('daily_at', 'retention', 'poll_interval'):
            self.assertIn(name, groups['scheduler'])
        for name in ('auth_strategy', 'endpoint_override', 'auth_type',
                     'password', 'service_type'):
            self.assertIn(name, groups['lightsnap_api'])
