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

"""``./run soak``: what cannot share the machine with the normal suite.

Runs tests.functional.faults.test_soak with 1,000 cycles (or
LIGHTSNAP_SOAK_CYCLES) and prints what it measured (the normal suite runs
the same test with 30 cycles), then restarts the host's libvirtd during a
merge (tests.functional.faults.libvirtd_restart), which would cut the
connections of any test running beside it, and stops a gluster brick
during a snapshot and a merge (tests.functional.faults.gluster_brick),
whose timing needs a quiet machine.
"""

import os
import sys


def main():
    os.environ.setdefault('LIGHTSNAP_SOAK_CYCLES', '1000')
    os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
    from tests.functional.faults import gluster_brick
    from tests.functional.faults import libvirtd_restart
    from tests.functional.faults import test_soak
    import testtools

    case = test_soak.SoakTest('test_create_delete_cycles_under_writes')
    restart = libvirtd_restart.LibvirtdRestartTest(
        'test_restart_during_an_active_commit')
    result = testtools.TextTestResult(sys.stdout, failfast=True)
    result.startTestRun()
    case.run(result)
    details = case.getDetails()
    if 'soak' in details:
        print(details['soak'].as_text())
    restart.run(result)
    gluster_brick.GlusterBrickTest(
        'test_brick_down_during_snapshot_and_merge').run(result)
    result.stopTestRun()
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
