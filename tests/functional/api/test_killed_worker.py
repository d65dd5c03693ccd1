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

"""A lightsnap-api worker killed in the middle of a long operation.

The compute is apart from the API (served from this test process over a
real RabbitMQ, on the real libvirt of the other tests). The lightsnap-api
process that started a slow delete is killed with SIGKILL while the
compute merges, and a new one starts on the same database, as a WSGI
server's master starts a worker in place of the one that died (the cloud
runs one gunicorn worker: no other is there to take over). The new one
takes the operation over and shows its true end, long before the task
would have gone stale.
"""

import os
import signal
import time

from nova_lightsnap.compute import endpoint
from nova_lightsnap.compute import manager
from tests.functional.api import base
from tests.support import domains
from tests.support import rabbitmq
from tests.support import rpc_backend

HOST = 'compute-1'
# At 1 MiB/s, a merge of about 8 s: the worker dies in its middle.
MERGE_DATA = 8 * 1024 * 1024
# The other worker must show the end well before task_stale_after.
BOUND = 90


class CountingOperations(manager.InstanceOperations):
    """The compute's backend, counting the deletes it is asked for."""

    deletes = 0

    def delete_snapshot(self, uuid, name, purge=False):
        type(self).deletes += 1
        return super().delete_snapshot(uuid, name, purge=purge)


class KilledWorkerTest(base.APITestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = rabbitmq.start()
        cls.addClassCleanup(cls.broker.stop)
        cls.server_options = {
            'api': {'compute_host': HOST, 'embedded_compute': 'false',
                    'task_stale_after': '300'},
            'DEFAULT': {'transport_url': cls.broker.url}}
        super().setUpClass()
        local = manager.local(uri=domains.URI, state_dir=cls.state_dir,
                              export_dir=cls.export_dir, job_timeout=300,
                              job_bandwidth=1)
        cls.addClassCleanup(local.host.close)
        cls.backend = CountingOperations(local.host, local.locator,
                                         local.export_dir)
        transport = rpc_backend.service_transport(
            cls.broker.url, cls.workdir, 'compute', 'nova')
        cls.addClassCleanup(transport.cleanup)
        compute = endpoint.get_server(transport, HOST, cls.backend)
        compute.start()
        cls.addClassCleanup(compute.wait)
        cls.addClassCleanup(compute.stop)

    def test_killed_mid_delete_the_new_worker_shows_its_end(self):
        guest = self.guests[0]
        inst = '/v1/instances/%s' % guest.uuid
        status, _, reply = self.client.patch(inst, {'enabled': True})
        self.assertEqual(200, status, reply)
        self.write_all()
        status, _, reply = self.client.post(
            inst + '/snapshots', {'name': 's1', 'quiesce': 'off'})
        self.assertEqual(202, status, reply)
        self.assertEqual('available',
                         self.wait_snapshot(guest, 's1')[1]['snapshot'][
                             'state'])
        self.model.create('s1')
        # Deleting s1 folds the active overlay, 8 MiB, into the root.
        self.fill_layer('vda', MERGE_DATA, self.next_pattern())

        status, _, reply = self.client.delete(inst + '/snapshots/s1')
        self.assertEqual(202, status, reply)
        deadline = time.monotonic() + 60
        while self.backend.progress(guest.uuid) is None:
            self.assertLess(time.monotonic(), deadline, 'no merge started')
            time.sleep(0.05)
        time.sleep(1)
        self.assertIsNotNone(self.backend.progress(guest.uuid),
                             'the merge ended before the worker was killed')
        os.kill(self.server.proc.pid, signal.SIGKILL)
        self.server.proc.wait(10)
        killed = time.monotonic()
        # Its replacement.
        other = self.start_server().client
        status, body = self.wait_for(
            inst + '/snapshots/s1',
            lambda s, b: s == 404 or b['snapshot']['state'] != 'deleting',
            client=other, timeout=BOUND)[-1]
        self.assertEqual(404, status, body)
        shown = self.wait_idle(guest, client=other)
        self.assertLess(time.monotonic() - killed, BOUND)
        self.assertEqual(('idle', None, 0),
                         (shown['state'], shown['task'],
                          shown['snapshot_count']))
        # Followed, never asked again.
        self.assertEqual(1, CountingOperations.deletes)
        self.model.delete('s1')
        self.write_all()
        self.verify('after the worker that ran the delete was killed')
