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

"""Nova's whole libvirt driver test module, with our driver in its place.

    .venv/bin/python tools/nova_driver_tests.py [SHARDS]

Runs nova.tests.unit.virt.libvirt.test_driver twice, with ``class
Bare(LibvirtDriver): pass`` and with LightSnapLibvirtDriver put in
LibvirtDriver's place, each in SHARDS processes (default 2), and prints
the counts and the tests that fail with ours only. Where no instance opted
in, ours must fail nowhere the bare subclass does not, except where it
means to differ: init_host starts the lightsnap RPC server (Nova's
RPCPollerCleanupFixture refuses a server that a test starts and does not
stop), and LibvirtVolumeSnapshotTestCase asserts upstream's assisted
snapshot calls that libvirt >= 6 refuses and this driver replaces
(tests/unit/virt/test_driver_volume_snapshots.py).
tests/unit/virt/test_driver_drop_in.py runs the tests of the overridden
paths in every unit run; this is the whole module (about 1200 tests, 20
minutes), for a new Nova.

A failing ``ssh`` is put first in PATH (some of Nova's paths try to reach
10.0.0.1 when a mock misses), and each test may take 60 s (OS_TEST_TIMEOUT:
one of Nova's tests waits forever in native-threading mode).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _flat(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _flat(test)
        else:
            yield test


def run_shard(which, index, count, out):
    """In a child process: one shard of the module with ``which``."""
    sys.path.insert(0, REPO)
    from tests.support import nova_threading
    nova_threading.setup()
    from nova.tests.unit.virt.libvirt import test_driver as nova_tests
    from nova.virt.libvirt import driver as libvirt_driver
    from nova_lightsnap.virt import driver

    class Bare(libvirt_driver.LibvirtDriver):
        pass

    libvirt_driver.LibvirtDriver = {
        'bare': Bare, 'ours': driver.LightSnapLibvirtDriver}[which]
    tests = [test for i, test in enumerate(_flat(
        unittest.TestLoader().loadTestsFromModule(nova_tests)))
        if i % count == index]
    result = unittest.TestResult()
    unittest.TestSuite(tests).run(result)
    with open(out, 'w') as handle:
        json.dump({'run': result.testsRun,
                   'failures': {test.id(): text for test, text in
                                result.failures + result.errors}}, handle)


def main(shards=2):
    tmp = tempfile.mkdtemp(prefix='nova-driver-tests-')
    ssh = os.path.join(tmp, 'ssh')
    with open(ssh, 'w') as handle:
        handle.write('#!/bin/sh\nexit 255\n')
    os.chmod(ssh, 0o755)
    env = dict(os.environ, PATH=tmp + os.pathsep + os.environ['PATH'],
               OS_TEST_TIMEOUT='60', OS_NOVA_DISABLE_EVENTLET_PATCHING='1')
    start = time.time()
    children = {}
    for which in ('bare', 'ours'):
        for index in range(shards):
            out = os.path.join(tmp, '%s-%d.json' % (which, index))
            children[which, out] = subprocess.Popen(
                [sys.executable, __file__, '--shard', which, str(index),
                 str(shards), out], env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    runs = {'bare': [0, {}], 'ours': [0, {}]}
    for (which, out), child in children.items():
        if child.wait() != 0:
            sys.exit('a shard of the %s run failed (exit %d)'
                     % (which, child.returncode))
        with open(out) as handle:
            shard = json.load(handle)
        runs[which][0] += shard['run']
        runs[which][1].update(shard['failures'])
    for which, (count, failures) in runs.items():
        print('%s: %d run, %d failed' % (which, count, len(failures)))
    only = sorted(set(runs['ours'][1]) - set(runs['bare'][1]))
    print('failing with ours only: %d (%d s)' % (len(only),
                                                 time.time() - start))
    for name in only:
        print('  %s: %s' % (name, runs['ours'][1][name].strip()
                            .splitlines()[-1][:120]))


if __name__ == '__main__':
    if sys.argv[1:2] == ['--shard']:
        which, index, count, out = sys.argv[2:6]
        run_shard(which, int(index), int(count), out)
    else:
        main(*(int(arg) for arg in sys.argv[1:2]))
