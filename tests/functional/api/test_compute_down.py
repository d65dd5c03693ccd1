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

"""A compute that does not answer: the operation ends in state error with
a message that says to retry, nothing else changes, and the retry works
once the compute is back. The compute is "gone" when lightsnap-api runs
without its embedded compute on an in-process transport that nobody
serves; it is back when the API is started again with it."""

from tests.functional.api import base

DOWN = {'api': {'embedded_compute': 'false', 'rpc_timeout': '2',
                'operation_timeout': '3'},
        'DEFAULT': {'transport_url': 'fake://'}}


class ComputeDownTest(base.APITestCase):

    def restart(self, **options):
        self.server.stop()
        type(self).server = self.start_server(**options)
        self.client = self.server.client

    def test_timeout_then_retry(self):
        guest = self.guests[0]
        inst = '/v1/instances/%s' % guest.uuid
        self.assertEqual(200, self.client.patch(inst, {'enabled': True})[0])
        self.write_all()
        self.assertEqual(202, self.client.post(
            inst + '/snapshots', {'name': 'before', 'quiesce': 'off'})[0])
        self.wait_snapshot(guest, 'before')
        self.model.create('before')
        self.write_all()
        self.verify('before the compute went away')

        self.restart(**DOWN)
        status, _, reply = self.client.post(
            inst + '/snapshots', {'name': 'during', 'quiesce': 'off'})
        self.assertEqual(202, status, reply)
        status, snap = self.wait_snapshot(guest, 'during')
        self.assertEqual('error', snap['snapshot']['state'])
        self.assertIn('did not answer', snap['snapshot']['error'])
        self.assertIn('Retry', snap['snapshot']['error'])
        shown = self.client.get(inst)[2]['instance']
        self.assertEqual('error', shown['state'])
        self.assertEqual(('create', 'error'), (shown['task']['op'],
                                               shown['task']['state']))
        self.assertIn('Retry', shown['task']['error'])
        # A short call the request waits for: 503, nothing recorded.
        status, _, reply = self.client.patch(inst, {'enabled': False})
        self.assertEqual(503, status, reply)
        self.assertIs(True, self.client.get(inst)[2]['instance']['enabled'])
        self.verify('while the compute was away')

        self.restart()
        status, _, reply = self.client.post(
            inst + '/snapshots', {'name': 'during', 'quiesce': 'off'})
        self.assertEqual(202, status, reply)
        status, snap = self.wait_snapshot(guest, 'during')
        self.assertEqual(('available', None), (snap['snapshot']['state'],
                                               snap['snapshot']['error']))
        self.model.create('during')
        shown = self.client.get(inst)[2]['instance']
        self.assertEqual(('idle', None, 2),
                         (shown['state'], shown['task'],
                          shown['snapshot_count']))
        self.write_all()
        self.verify('after the retry')
