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

"""Snapshot sets of 1, 4 and 8 tiny guests, quiesced through their agents:
total time and the freeze window (first freeze to last thaw)."""

from bench import common
from nova_lightsnap.engine import sets
from tests.support import domains
from tests.support import guest


def run(sizes=(1, 4, 8)):
    os_xml = domains.guest_os_xml()
    vms = [common.BenchDomain(common.GiB, 0, os_xml=os_xml, memory=128,
                              agent=True) for _ in range(max(sizes))]
    rows = []
    try:
        for vm in vms:
            guest.GuestAgent(vm.dom).wait_ready(300)
        for count in sizes:
            members = [vm.name for vm in vms[:count]]
            elapsed, result = common.timed(
                sets.create, vms[0].host, 'bench-%d' % count, members,
                'required')
            rows.append({'domains': count, 'set_create_s': round(elapsed, 3),
                         'freeze_window_s': result['freeze_window'],
                         'quiesced': all(d['quiesced']
                                         for d in result['domains'])})
    finally:
        for vm in vms:
            vm.close()
    lines = ['snapshot set, tiny guests quiesced through qemu-guest-agent',
             '  domains   total s   freeze window s']
    for r in rows:
        lines.append('  %7d   %7.3f   %7.3f' % (
            r['domains'], r['set_create_s'], r['freeze_window_s']))
    return rows, lines
