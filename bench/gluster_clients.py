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

"""Where the seconds of an operation on a gluster disk go (issue 15): the
libgfapi clients each operation makes, which process made them, and how
long the brick saw each one connected. A client costs about 10 s more
after that: libgfapi's teardown (glfs_fini) runs on after its brick
connection closes, in the process that made it.

Every libgfapi client that reaches the brick is logged by the brick
("accepted client from CTX_ID:...-PID:<pid>-..." and "disconnecting
connection from CTX_ID:..."): the operation's window of that log names the
clients. A process is told by its PID: libvirtd, the domain's QEMU, this
process (the engine's cached connection) or a qemu-img the engine ran (a
wrapper first in PATH records each qemu-img's PID and arguments, then
execs the real one, which keeps the PID).
"""

import collections
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from bench import common
from tests.support import domains

ACCEPTED = re.compile(r'^\[(?P<ts>[^\]]+)\].*accepted client from '
                      r'(?P<ctx>CTX_ID:\S*?-PID:(?P<pid>\d+)\S*)')
GONE = re.compile(r'^\[(?P<ts>[^\]]+)\].*disconnecting connection '
                  r'\[\{client-uid=(?P<ctx>CTX_ID:[^}\s]+)\}')
WRAPPER = '''#!/bin/sh
echo "$$ $*" >>"%(log)s"
exec %(real)s "$@"
'''


def _stamp(text):
    return time.mktime(time.strptime(text[:19], '%Y-%m-%d %H:%M:%S')) + \
        float('0' + text[19:26])


def brick_log():
    brick = os.path.join(domains.TEST_DIR, 'brick')
    return '/var/log/glusterfs/bricks/%s.log' % brick.strip('/').replace(
        '/', '-')


class Clients:
    """The brick log and the qemu-img runs from here on."""

    def __init__(self, tmp):
        self.log = brick_log()
        self.runs = os.path.join(tmp, 'qemu-img-runs')
        real = subprocess.run(['which', 'qemu-img'], capture_output=True,
                              text=True, check=True).stdout.strip()
        wrapper = os.path.join(tmp, 'qemu-img')
        with open(wrapper, 'w') as handle:
            handle.write(WRAPPER % {'log': self.runs, 'real': real})
        os.chmod(wrapper, 0o755)
        os.environ['PATH'] = tmp + os.pathsep + os.environ['PATH']
        # What each client's process is, read while it is still alive (a
        # client lives some 10 s: libgfapi's teardown).
        self.names = {}
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        offset = self.mark()
        while not self._stop.wait(0.05):
            with open(self.log) as handle:
                handle.seek(offset)
                text = handle.read()
                offset = handle.tell()
            for m in map(ACCEPTED.search, text.splitlines()):
                if m and int(m.group('pid')) not in self.names:
                    self.names[int(m.group('pid'))] = _process(
                        m.group('pid'))

    def close(self):
        self._stop.set()

    def mark(self):
        return os.path.getsize(self.log)

    def _qemu_img(self):
        if not os.path.exists(self.runs):
            return {}
        with open(self.runs) as handle:
            return {int(line.split(' ', 1)[0]): line.split(' ', 2)[1]
                    for line in handle if line.strip()}

    def since(self, offset, who):
        """The clients accepted after ``offset``: (process, seconds the
        brick saw it connected, or None when it still is)."""
        with open(self.log) as handle:
            handle.seek(offset)
            text = handle.read()
        accepted, gone = {}, {}
        for line in text.splitlines():
            m = ACCEPTED.search(line)
            if m:
                accepted[m.group('ctx')] = (_stamp(m.group('ts')),
                                            int(m.group('pid')))
                continue
            m = GONE.search(line)
            if m:
                gone.setdefault(m.group('ctx'), _stamp(m.group('ts')))
        qemu_img = self._qemu_img()
        out = []
        for ctx, (start, pid) in sorted(accepted.items(),
                                        key=lambda i: i[1][0]):
            if pid in who:
                name = who[pid]
            elif pid in qemu_img:
                name = 'qemu-img ' + qemu_img[pid]
            else:
                name = self.names.get(pid) or 'pid %d' % pid
            end = gone.get(ctx)
            out.append((name, None if end is None else round(end - start,
                                                             1)))
        return out


def _process(pid):
    """``pid``'s command line, short; its parent's when it is a fork."""
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')
        with open('/proc/%s/stat' % pid) as handle:
            ppid = handle.read().rsplit(')', 1)[1].split()[1]
        with open('/proc/%s/comm' % ppid) as handle:
            parent = handle.read().strip()
    except (OSError, IndexError):
        return None
    name = os.path.basename(argv[0].decode(errors='replace'))
    return '%s %s (child of %s)' % (
        name, ' '.join(a.decode(errors='replace') for a in argv[1:3]),
        parent)


def _qemu(vm):
    try:
        return domains.qemu_pid(vm.name)
    except (OSError, ValueError):
        return None


def measure(clients, vm, label, func, *args):
    who = {p: 'libvirtd' for p in domains.host_pids('libvirtd')}
    who[os.getpid()] = 'lightsnap (cached gfapi)'
    qemu = _qemu(vm)
    if qemu:
        who[qemu] = 'QEMU'
    offset = clients.mark()
    seconds, _ = common.timed(func, *args)
    # A client's disconnect shows once its glfs_fini ran (about 10 s).
    time.sleep(12)
    qemu = _qemu(vm)
    if qemu:
        who[qemu] = 'QEMU'
    made = clients.since(offset, who)
    return {'op': label, 'seconds': round(seconds, 2),
            'clients': [{'process': n, 'connected_s': s} for n, s in made]}


def run():
    tmp = tempfile.mkdtemp(prefix='lightsnap-bench-')
    clients = Clients(tmp)
    rows = []
    vm = common.BenchDomain(common.GiB, 64 * common.MiB, kind='volume')
    try:
        for name in ('c1', 'c2', 'c3'):
            vm.hmp_write(0, 4 * common.MiB)
            rows.append(measure(clients, vm, 'create (running)',
                                vm.handle().create, name, 'off'))
        rows.append(measure(clients, vm, 'delete oldest (running)',
                            vm.handle().delete, 'c1'))
        rows.append(measure(clients, vm, 'delete newest (running)',
                            vm.handle().delete, 'c3'))
        rows.append(measure(clients, vm, 'revert (running)',
                            vm.handle().revert, 'c2'))
        dest = os.path.join(vm.dir, 'export.qcow2')
        rows.append(measure(clients, vm, 'export (running)',
                            vm.handle().export, 'c2', 'vda', dest))
        vm.dom.destroy()
        rows.append(measure(clients, vm, 'create (shut off)',
                            vm.handle().create, 'c4', 'off'))
        rows.append(measure(clients, vm, 'delete oldest (shut off)',
                            vm.handle().delete, 'c2'))
    finally:
        vm.close()
        clients.close()
    lines = ['gluster disk: libgfapi clients per operation (brick log)']
    for row in rows:
        count = collections.Counter(c['process'].split(' ')[0]
                                    for c in row['clients'])
        lines.append('  %-26s %6.1f s  %s' % (
            row['op'], row['seconds'],
            ', '.join('%s x%d' % i for i in sorted(count.items())) or
            'no new client'))
        for c in row['clients']:
            lines.append('      %-60s connected %s s' % (
                c['process'][:60], c['connected_s']))
    return {'operations': rows}, lines


if __name__ == '__main__':
    sys.exit('run it as: ./run bench --only gluster_clients')
