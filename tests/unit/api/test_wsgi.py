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

"""The WSGI entry point for uwsgi/mod_wsgi: configured from
$LIGHTSNAP_API_CONFIG on the first request, refusing an old schema."""

import os

import fixtures
import webob

from nova_lightsnap.api import wsgi
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import migration
from tests.support import testcase
from tests.unit.api import base


class WSGITest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.url = 'sqlite:///' + os.path.join(tmp, 'api.sqlite')
        self.config = os.path.join(tmp, 'lightsnap.conf')
        with open(self.config, 'w') as f:
            f.write('[DEFAULT]\ntransport_url = fake://\n'
                    '[api]\nembedded_compute = false\n'
                    '[database]\nconnection = %s\n' % self.url)
        self.useFixture(fixtures.EnvironmentVariable(
            'LIGHTSNAP_API_CONFIG', self.config))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.api.wsgi._APPLICATION', None))
        self.addCleanup(db_api.dispose)

    def test_an_old_schema_is_refused(self):
        exc = self.assertRaises(SystemExit, wsgi.init_application)
        self.assertIn('lightsnap-manage', str(exc))

    def test_serves_once_migrated(self):
        conf = base.config.load([], default_config_files=[self.config])
        migration.upgrade(conf)
        resp = webob.Request.blank('/').get_response(wsgi.application)
        self.assertEqual(200, resp.status_int)
        resp = webob.Request.blank('/v1/sets', headers={
            'X-Project-Id': 'p',
            'X-Roles': 'reader'}).get_response(wsgi.application)
        self.assertEqual({'sets': []}, resp.json_body)
