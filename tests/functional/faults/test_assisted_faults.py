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

"""Assisted volume snapshots (Cinder's remotefs sequence) under faults.

libvirtd lost right after a merge or a switch was asked for (the proxy
forwards the call, then drops the connection): the call ends in an error
(Nova then tells Cinder ``error``), nothing the guest wrote is lost, and
what the retry Cinder may send gets a clear answer.
"""

import os
import threading
import time

import libvirt

from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import volume_snapshots
from tests.functional.faults import proxy
from tests.functional import test_cinder_remotefs


class AssistedFaultTest(test_cinder_remotefs.RemoteFSSequenceTest):
    test_create_four_then_delete_middle_oldest_newest_last = None
    test_hostile_names_are_refused_and_change_nothing = None

    def setUp(self):
        super().setUp()
        os.makedirs(self.vm.state_dir, exist_ok=True)
        self.proxy = proxy.LibvirtProxy(os.path.join(self.vm.state_dir,
                                                     'libvirt-proxy.sock'))
        self.addCleanup(self.proxy.close)
        blockjob.start_event_loop()

    def cut_nova(self):
        """Nova's side through the proxy, on a connection of its own; it
        reconnects, as Nova's driver does, once the connection is lost."""
        conn = self.proxy_connection()
        return (volume_snapshots.VolumeSnapshots(
            conn, job_timeout=60, connect=self.proxy_connection),
            conn.lookupByName(self.vm.name))

    def proxy_connection(self):
        conn = libvirt.open(self.proxy.uri)
        self.addCleanup(_close, conn)
        return conn

    def test_libvirtd_lost_during_an_intermediate_commit(self):
        for i in (1, 2, 3):
            self.write()
            self.snapshot('s%d' % i)
        self.write()
        nova, dom = self.cut_nova()
        self.proxy.arm(proxy.BLOCK_COMMIT, 'call', action='cut')
        delete_info, file_to_delete = self.cinder.delete_info('s2')
        self.assertRaises((errors.LightSnapError, libvirt.libvirtError),
                          nova.delete, dom, self.volume_id, delete_info)
        self.wait_no_job()
        # libvirtd did the merge; Cinder, told "error", may retry it.
        exc = self.assertRaises(errors.InvalidInput, self.nova.delete,
                                self.vm.domain, self.volume_id, delete_info)
        self.assertIn('is not in the backing chain', str(exc))
        self.cinder.write_info()
        self.cinder.remove(file_to_delete)
        del self.expected['s2']
        self.verify('after the merge that lost libvirtd')

    def test_reply_lost_after_the_switch_is_a_snapshot_taken(self):
        self.write()
        self.snapshot('s1')
        self.write()
        nova, dom = self.cut_nova()
        # libvirtd gets the call, the connection drops before the reply.
        self.proxy.arm(proxy.SNAPSHOT_CREATE_XML, 'call', action='cut')
        new_file = '%s.s2' % self.cinder.root.basename
        self.cinder.create_overlay(new_file)
        result = nova.create(dom, self.volume_id, new_file)
        # The live XML, read once libvirtd was done, says the disk runs on
        # new_file: Cinder is told the snapshot was taken, not "error".
        self.assertEqual(self.cinder.ref(new_file).url, result['active'])
        self.cinder.record('s2', new_file)
        self.write()
        self.verify('after the switch whose reply was lost')

    def test_call_lost_before_the_switch_is_an_error(self):
        self.write()
        self.snapshot('s1')
        self.write()
        nova, dom = self.cut_nova()
        trap = self.proxy.arm(proxy.SNAPSHOT_CREATE_XML, 'call')
        new_file = '%s.s2' % self.cinder.root.basename
        self.cinder.create_overlay(new_file)
        failures = []

        def create():
            try:
                nova.create(dom, self.volume_id, new_file)
            except Exception as exc:  # checked below
                failures.append(exc)
        thread = threading.Thread(target=create)
        thread.start()
        self.assertTrue(trap.hit.wait(60))
        self.proxy.cut()  # the call never reaches libvirtd
        thread.join(120)
        self.assertEqual(1, len(failures))
        self.assertIsInstance(failures[0], errors.LightSnapError)
        self.assertNotIn(proxy.SNAPSHOT_CREATE_XML, self.proxy.forwarded)
        # Cinder, told "error", removes its overlay; nothing else changed.
        self.cinder.remove(new_file)
        self.write()
        self.verify('after the switch that never reached libvirtd')

    def wait_no_job(self):
        deadline = time.monotonic() + 60
        while self.vm.domain.blockJobInfo('vdb', 0):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)


def _close(conn):
    try:
        conn.close()
    except libvirt.libvirtError:
        pass
