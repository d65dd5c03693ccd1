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

"""No open door: lightsnap-api refuses noauth on an address that is not
loopback, before anything is bound, unless the configuration allows it.

No test here sends a packet anywhere: host names are resolved by a fake
getaddrinfo, and any bind fails the test.
"""

import io
import os
import socket

import fixtures

from nova_lightsnap.api import noauth_guard
from nova_lightsnap.cmd import api as cmd_api
from tests.support import testcase


def _resolves_to(*addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6 if ':' in a else socket.AF_INET,
                 socket.SOCK_STREAM, socket.IPPROTO_TCP, '', (a, 0))
                for a in addresses]
    return getaddrinfo


class Started(Exception):
    """The start went past the check (raised where the schema is read)."""


class LoopbackTest(testcase.TestCase):

    def test_loopback_addresses(self):
        for host in ('127.0.0.1', '127.0.0.2', '127.255.0.9', '::1'):
            self.assertTrue(noauth_guard.is_loopback(host), host)

    def test_wildcards_and_other_addresses_are_not(self):
        for host in ('0.0.0.0', '::', '192.0.2.10', '10.0.0.1',
                     '2001:db8::1', '::ffff:192.0.2.10'):
            self.assertFalse(noauth_guard.is_loopback(host), host)

    def test_a_name_counts_when_every_address_is_loopback(self):
        self.useFixture(fixtures.MonkeyPatch(
            'socket.getaddrinfo', _resolves_to('127.0.0.1', '::1')))
        self.assertTrue(noauth_guard.is_loopback('localhost'))
        self.useFixture(fixtures.MonkeyPatch(
            'socket.getaddrinfo', _resolves_to('127.0.0.1', '192.0.2.7')))
        self.assertFalse(noauth_guard.is_loopback('api.example'))

    def test_a_name_that_does_not_resolve_is_not_loopback(self):
        def unknown(*args, **kwargs):
            raise socket.gaierror(socket.EAI_NONAME, 'unknown')
        self.useFixture(fixtures.MonkeyPatch('socket.getaddrinfo', unknown))
        self.assertFalse(noauth_guard.is_loopback('nowhere.example'))


class StartTest(testcase.TestCase):
    """cmd.api.main with a configuration file: refused before the schema
    is read, the service started or a socket bound."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

        def no_bind(sock, address):
            raise AssertionError('bound to %r' % (address,))
        self.useFixture(fixtures.MonkeyPatch('socket.socket.bind', no_bind))

        def started(conf):
            raise Started()
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.db.migration.check_schema', started))
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))

    def main(self, **api):
        path = os.path.join(self.tmp, 'api.conf')
        with open(path, 'w') as f:
            f.write('[api]\n' + ''.join('%s = %s\n' % kv
                                        for kv in sorted(api.items())))
        return cmd_api.main(['--config-file', path])

    def test_noauth_on_every_address_is_refused(self):
        for host in ('0.0.0.0', '::', '192.0.2.10'):
            self.stderr.seek(0)
            self.stderr.truncate()
            self.assertEqual(2, self.main(bind_host=host), host)
            message = self.stderr.getvalue()
            self.assertIn('refusing to serve auth_strategy = noauth on %s'
                          % host, message)
            self.assertIn('auth_strategy = keystone', message)
            self.assertIn('[keystone_authtoken]', message)
            self.assertIn('noauth_allow_non_loopback = true', message)

    def test_noauth_is_the_default_and_refused_too(self):
        # auth_strategy is not written: its default is noauth.
        self.assertEqual(2, self.main(bind_host='192.0.2.10'))

    def test_noauth_on_loopback_starts(self):
        self.assertRaises(Started, self.main, bind_host='127.0.0.1')
        self.assertRaises(Started, self.main, bind_host='::1')

    def test_the_operator_may_allow_it_explicitly(self):
        self.assertRaises(Started, self.main, bind_host='0.0.0.0',
                          noauth_allow_non_loopback='true')

    def test_keystone_on_any_address_starts(self):
        self.assertRaises(Started, self.main, bind_host='0.0.0.0',
                          auth_strategy='keystone')
        self.assertEqual('', self.stderr.getvalue())
