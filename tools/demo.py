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

"""The lightsnap demo: a real guest, quiesced snapshots, delete, revert.

Boots the tiny guest (Debian kernel, busybox, qemu-guest-agent) with a data
disk it writes to. Act one drives the ``lightsnap`` command as an operator
of a plain libvirt host would; act two runs the embedded service
(``lightsnap-api`` with SQLite and the local libvirt) and drives it with
``openstack light`` as a user would. Each time it checks from inside the
guest that every snapshot holds what the guest wrote before it. Run it
with ``./run demo``.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import libvirt

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

from tests.support import domains  # noqa: E402
from tests.support import guest  # noqa: E402

NAME = 'lightsnap-demo'
DEMO_DIR = os.environ.get('LIGHTSNAP_DEMO_DIR', '/var/lib/lightsnap-demo')
STATE_DIR = os.path.join(DEMO_DIR, 'state')
START = time.monotonic()


def say(text):
    print('[%5.1fs] %s' % (time.monotonic() - START, text), flush=True)


def lightsnap(*args):
    cmd = [sys.executable, '-m', 'nova_lightsnap.cmd.lightsnap',
           '--state-dir', STATE_DIR] + list(args)
    say('$ lightsnap ' + ' '.join(args))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=TOP)
    for line in (proc.stdout + proc.stderr).splitlines():
        print('    ' + line)
    if proc.returncode != 0:
        raise SystemExit('demo failed: lightsnap %s exited %d'
                         % (' '.join(args), proc.returncode))
    return proc.stdout


def check(what, got, want):
    if got != want:
        raise SystemExit('demo failed: %s: got %r, want %r'
                         % (what, got, want))
    say('verified: %s' % what)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class EmbeddedAPI:
    """``lightsnap-api`` in its embedded default: SQLite, local libvirt."""

    def __init__(self, uuid):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.conf = os.path.join(DEMO_DIR, 'lightsnap.conf')
        projects = os.path.join(DEMO_DIR, 'projects.json')
        with open(projects, 'w') as f:
            json.dump({uuid: 'demo'}, f)
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\nlog_file = %s\n'
                    '[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                    'auth_strategy = noauth\nlocal_projects_file = %s\n'
                    'state_dir = %s\nexport_dir = %s\n'
                    '[database]\nconnection = sqlite:///%s\n'
                    % (os.path.join(DEMO_DIR, 'api.log'), self.port,
                       projects, STATE_DIR, os.path.join(DEMO_DIR, 'exp'),
                       os.path.join(DEMO_DIR, 'lightsnap.sqlite')))
        self.proc = None

    def start(self):
        run_tool('lightsnap-manage', '--config-file', self.conf, 'db',
                 'sync')
        say('$ lightsnap-api --config-file %s  (port %d)'
            % (os.path.basename(self.conf), self.port))
        self.proc = subprocess.Popen(
            [os.path.join(BIN, 'lightsnap-api'), '--config-file',
             self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + '/', timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        raise SystemExit('demo failed: lightsnap-api did not start; see %s'
                         % os.path.join(DEMO_DIR, 'api.log'))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


BIN = os.path.dirname(sys.executable)


def run_tool(*args, show=True):
    if show:
        say('$ ' + ' '.join(args))
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    try:
        proc = subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]),
                              capture_output=True, text=True, cwd=TOP,
                              env=env, timeout=600)
    except subprocess.TimeoutExpired:
        raise SystemExit('demo failed: %s did not end within 600 s'
                         % ' '.join(args))
    if show:
        for line in proc.stdout.splitlines():
            print('    ' + line)
        for line in proc.stderr.splitlines():
            if 'percent' in line or '%' in line or 'rror' in line:
                print('    ' + line)
    if proc.returncode != 0:
        raise SystemExit('demo failed: %s exited %d: %s'
                         % (' '.join(args), proc.returncode, proc.stderr))
    return proc.stdout


def remove_old(conn):
    try:
        dom = conn.lookupByName(NAME)
    except libvirt.libvirtError:
        return
    if dom.isActive():
        dom.destroy()
    dom.undefine()


def boot(conn):
    dom = conn.lookupByName(NAME)
    agent = guest.GuestAgent(dom)
    agent.wait_ready(180)
    return agent


def main():
    say('building or reusing the tiny guest')
    kernel, initrd = guest.build_guest(os.path.join(domains.TEST_DIR,
                                                    'guest'))
    conn = libvirt.open(domains.URI)
    remove_old(conn)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    os.makedirs(DEMO_DIR, mode=0o755)
    os.chmod(DEMO_DIR, 0o755)
    disks = []
    for target, size in (('vda', '64M'), ('vdb', '16M')):
        path = os.path.join(DEMO_DIR, '%s-%s.qcow2' % (NAME, target))
        domains.qemu_img('create', '-q', '-f', 'qcow2', path, size)
        os.chmod(path, 0o666)
        disks.append({'target': target, 'type': 'file', 'path': path,
                      'format': 'qcow2'})
    conn.defineXML(guest.guest_domain_xml(NAME, kernel, initrd, disks))
    conn.lookupByName(NAME).create()
    say('booted %s: /data on vda (ext2), vdb raw, qemu-guest-agent inside'
        % NAME)
    agent = boot(conn)

    for gen in (1, 2, 3):
        agent.sh('echo generation %d > /data/current.txt; '
                 'echo %d > /data/file-%d.txt; '
                 'printf "gen%d" | dd of=/dev/vdb bs=512 seek=%d '
                 'conv=notrunc 2>/dev/null; sync' % (gen, gen, gen, gen, gen))
        say('guest wrote generation %d (file-%d.txt, current.txt, vdb block '
            '%d)' % (gen, gen, gen))
        lightsnap('create', NAME, '--name', 'gen-%d' % gen,
                  '--quiesce', 'required')
    agent.sh('echo after > /data/current.txt; echo x > /data/unsaved.txt; '
             'sync')
    lightsnap('list', NAME)

    lightsnap('delete', NAME, 'gen-2')
    lightsnap('revert', NAME, 'gen-1')
    agent = boot(conn)
    check('gen-1: current.txt', agent.sh('cat /data/current.txt'),
          'generation 1\n')
    check('gen-1: later files absent', agent.sh('ls /data | grep -c file-'
                                                ' || true'), '1\n')
    check('gen-1: vdb block 1', agent.sh('dd if=/dev/vdb bs=512 skip=1 '
                                         'count=1 2>/dev/null | head -c 4'),
          'gen1')

    lightsnap('revert', NAME, 'gen-3')
    agent = boot(conn)
    check('gen-3: current.txt', agent.sh('cat /data/current.txt'),
          'generation 3\n')
    check('gen-3 keeps the data of deleted gen-2',
          agent.sh('cat /data/file-2.txt'), '2\n')
    check('gen-3: unsaved.txt written after it is gone',
          agent.sh('[ -e /data/unsaved.txt ] && echo yes || echo no'), 'no\n')
    check('gen-3: vdb blocks 1-3', agent.sh(
        'for b in 1 2 3; do dd if=/dev/vdb bs=512 skip=$b count=1 '
        '2>/dev/null | head -c 4; done'), 'gen1gen2gen3')

    lightsnap('commit-all', NAME)
    check('after commit-all: data still there',
          agent.sh('cat /data/file-3.txt /data/current.txt'),
          '3\ngeneration 3\n')
    xml = conn.lookupByName(NAME).XMLDesc(0)
    check('after commit-all: one image per disk, no backing chain',
          xml.count("<backingStore type="), 0)

    act_two(conn, agent)
    remove_old(conn)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    say('demo passed in %.0f s' % (time.monotonic() - START))
    print('The same driver in a whole OpenStack (Keystone, Glance, Nova, '
          'Cinder on NFS): ./run cloud, then OS_CLOUD=lightsnap-demo '
          'openstack server list (./run cloud stop stops it).')


def act_two(conn, agent):
    """The same guest through the embedded service and ``openstack``."""
    uuid = conn.lookupByName(NAME).UUIDString()
    api = EmbeddedAPI(uuid)
    api.start()
    try:
        osc = ('openstack', '--os-auth-type', 'none',
               '--os-lightsnap-endpoint', api.url,
               '--os-lightsnap-project-id', 'demo', 'light')
        # The store is the operator's call (admin-only by default policy).
        run_tool(*osc[:-1], '--os-lightsnap-roles', 'admin', 'light',
                 'instance', 'set', uuid, '--enable', '--store')
        for gen in ('a', 'b'):
            agent.sh('echo api %s > /data/current.txt; sync' % gen)
            say('guest wrote "api %s"' % gen)
            run_tool(*osc, 'snapshot', 'create', uuid, '--name',
                     'api-' + gen, '--quiesce', 'required', '--wait',
                     '-f', 'value', '-c', 'name', '-c', 'state',
                     '-c', 'quiesced')
        agent.sh('echo api after > /data/current.txt; sync')
        run_tool(*osc, 'snapshot', 'delete', uuid, 'api-a', '--wait')
        listed = json.loads(run_tool(*osc, 'snapshot', 'list', uuid, '-f',
                                     'json'))
        states = {s['Name']: s['State'] for s in listed}
        check('store on: the deleted api-a is kept, stored', states,
              {'api-a': 'stored', 'api-b': 'available'})
        run_tool(*osc, 'snapshot', 'revert', uuid, 'api-a', '--wait')
        agent = boot(conn)
        check('reverted to the stored api-a',
              agent.sh('cat /data/current.txt'), 'api a\n')
        run_tool(*osc, 'snapshot', 'revert', uuid, 'api-b', '--wait')
        agent = boot(conn)
        check('api-b is intact after the revert to api-a',
              agent.sh('cat /data/current.txt'), 'api b\n')
        run_tool(*osc, 'instance', 'show', uuid)
    finally:
        api.stop()


if __name__ == '__main__':
    # A stopped demo still stops the lightsnap-api it started.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit('demo stopped'))
    main()
