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

"""System tests: end to end on the all-in-one cloud of ``./run cloud``.

Everything goes through the services as a user or an operator drives them:
the ``openstack`` command of the cloud's virtualenv (Keystone, Nova, Cinder,
Glance, the lightsnap API from the catalog), the instances are the tiny
guest booted by Nova, and the data is written and read back inside the
guest through its agent. The host is only looked at, never changed: the
libvirt domain Nova made (for its agent), the files on Cinder's NFS share.

The cloud is started once for the whole run (``./run test`` starts it in
the background and stops it at the end if it was not running before); a
test started on its own starts it here, under a lock that stestr's workers
share.
"""

import fcntl
import hashlib
import json
import os
import subprocess
import time

import libvirt
import openstack
from openstack import exceptions as sdk_exc
from testtools import content

from nova_lightsnap.client import http
from nova_lightsnap.client import v1
from tests.support import domains
from tests.support import guest
from tests.support import testcase

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
CLOUD_DIR = os.environ.get('LIGHTSNAP_CLOUD_DIR', '/var/lib/lightsnap-cloud')
CLOUD_SCRIPT = os.path.join(TOP, 'tools', 'cloud', 'cloud')
OPENSTACK = os.path.join(CLOUD_DIR, 'venv', 'bin', 'openstack')
# ./run test writes the outcome of its background start here.
STARTED = os.path.join(domains.TEST_DIR, 'cloud-up.rc')
START_LOG = os.path.join(domains.TEST_DIR, 'cloud-up.log')
# A fresh machine builds the cloud's virtualenv first.
START_TIMEOUT = 1800
IMAGE = 'lightsnap-tiny'
FLAVOR = 'lightsnap.tiny'
CHUNK = 256 * 1024  # the unit written and checked on raw disks

_ready = False


def ensure_cloud():
    """The cloud answers: started by ./run test, or here."""
    global _ready
    if _ready:
        return
    with open(os.path.join(domains.TEST_DIR, 'cloud.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.environ.get('LIGHTSNAP_CLOUD_STARTED_BY_RUN'):
            _wait_background_start()
        else:
            with open(START_LOG, 'a') as log:
                rc = subprocess.call([CLOUD_SCRIPT, 'up'], stdout=log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
            if rc:
                raise AssertionError('tools/cloud/cloud up failed (%d); '
                                     'see %s' % (rc, START_LOG))
    _ready = True


def _wait_background_start():
    deadline = time.monotonic() + START_TIMEOUT
    while not os.path.exists(STARTED):
        if time.monotonic() > deadline:
            raise AssertionError('the cloud did not start in %d s; see %s'
                                 % (START_TIMEOUT, START_LOG))
        time.sleep(2)
    with open(STARTED) as f:
        rc = f.read().strip()
    if rc != '0':
        raise AssertionError('tools/cloud/cloud up failed (%s); see %s'
                             % (rc, START_LOG))


class CommandFailed(AssertionError):
    pass


class CloudTestCase(testcase.TestCase):
    """A user of project demo, and an admin who looks at what Nova did."""

    timeout_seconds = 1500
    poll_timeout = 300

    def setUp(self):
        super().setUp()
        ensure_cloud()
        self._sdk = {}
        started, steps = time.monotonic(), []
        self.mark = lambda step: steps.append('%7.1f s  %s' % (
            time.monotonic() - started, step))
        self.addDetail('steps', content.Content(
            content.UTF8_TEXT, lambda: ['\n'.join(steps).encode()]))
        self.conn = libvirt.open(domains.URI)
        self.addCleanup(self.conn.close)

    # -- the openstack command ----------------------------------------------

    def openstack(self, *args, cloud='lightsnap-demo', parse=True):
        """Runs ``openstack ARGS``; its JSON output when ``parse``."""
        argv = [OPENSTACK, '--os-cloud', cloud] + list(args)
        if parse:
            argv += ['-f', 'json']
        started = time.monotonic()
        out = subprocess.run(argv, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=600)
        self.addDetail('openstack-%d' % len(self.getDetails()),
                       text('$ %s  (%.1f s)\n%s%s' % (
                           ' '.join(args), time.monotonic() - started,
                           out.stdout, out.stderr)))
        if out.returncode:
            raise CommandFailed('openstack %s: exit %d: %s' % (
                ' '.join(args), out.returncode, out.stderr.strip()))
        return json.loads(out.stdout) if parse and out.stdout.strip() \
            else out.stdout

    def admin(self, *args, **kwargs):
        return self.openstack(*args, cloud='lightsnap-admin', **kwargs)

    def wait_for(self, what, get, want, timeout=None):
        """Polls ``get()`` until it returns ``want``; None means gone."""
        deadline = time.monotonic() + (timeout or self.poll_timeout)
        got = None
        while time.monotonic() < deadline:
            got = get()
            if got == want:
                return
            if isinstance(got, str) and got.startswith('error'):
                break
            time.sleep(1)
        self.fail('%s is %r, not %r' % (what, got, want))

    def sdk(self, cloud='lightsnap-demo'):
        """An SDK connection, for reads: a command costs seconds."""
        if cloud not in self._sdk:
            conn = self._sdk[cloud] = openstack.connect(cloud=cloud)
            self.addCleanup(conn.close)
        return self._sdk[cloud]

    def light_client(self):
        """The lightsnap API from the catalog, for reads."""
        return v1.Client(http.keystone_adapter(self.sdk().session,
                                               interface='public'))

    def status(self, kind, ident):
        """The status of a server, volume or snapshot; None once gone."""
        get = {'server': self.sdk().compute.get_server,
               'volume': self.sdk().block_storage.get_volume,
               'snapshot': self.sdk().block_storage.get_snapshot}[kind]
        try:
            return get(ident).status.lower()
        except sdk_exc.NotFoundException:
            return None

    def wait_status(self, kind, ident, want, timeout=None):
        self.wait_for('%s %s' % (kind, ident),
                      lambda: self.status(kind, ident), want, timeout)

    # -- servers and volumes ------------------------------------------------

    def boot(self, name, *extra):
        server = self.openstack(
            'server', 'create', '--nic', 'none', '--image', IMAGE,
            '--flavor', FLAVOR, *(extra + (name,)))['id']
        self.addCleanup(self._delete_server, server)
        self.wait_status('server', server, 'active')
        return server

    def _delete_server(self, server):
        try:
            self.openstack('server', 'delete', '--wait', server, parse=False)
        except CommandFailed as exc:
            if 'No server' not in str(exc):
                raise

    def domain(self, server):
        name = self.sdk('lightsnap-admin').compute.get_server(
            server).instance_name
        return self.conn.lookupByName(name)

    def wait_agent(self, server, timeout=600):
        # Generous: two TCG guests booting beside a whole test run on two
        # cores took over 180 s.
        agent = guest.GuestAgent(self.domain(server))
        try:
            agent.wait_ready(timeout=timeout)
        except guest.GuestAgentError:
            # The guest's console, in the details, says how far it came.
            self.openstack('console', 'log', 'show', '--lines', '60',
                           server, cloud='lightsnap-admin', parse=False)
            raise
        return agent

    def volume(self, name, size=1):
        vol = self.openstack('volume', 'create', '--size', str(size), name)
        self.addCleanup(self._delete_volume, vol['id'])
        self.wait_status('volume', vol['id'], 'available')
        return vol['id']

    def _delete_volume(self, volume):
        if self.status('volume', volume) is None:
            return
        # As an operator would: a user may not force a deletion.
        self.admin('volume', 'delete', '--force', volume, parse=False)
        self.wait_status('volume', volume, None)

    def attach(self, server, volume, agent):
        """Attaches ``volume``; the guest's device node of it."""
        before = set(self.block_devices(agent))
        self.openstack('server', 'add', 'volume', server, volume,
                       parse=False)
        self.addCleanup(self._detach, server, volume)
        self.wait_status('volume', volume, 'in-use')
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            new = set(self.block_devices(agent)) - before
            if new:
                self.assertEqual(1, len(new), new)
                return '/dev/' + new.pop()
            time.sleep(0.5)
        self.fail('no new disk in the guest after attaching %s' % volume)

    def _detach(self, server, volume):
        if self.status('volume', volume) != 'in-use':
            return
        self.openstack('server', 'remove', 'volume', server, volume,
                       parse=False)
        self.wait_status('volume', volume, 'available')

    @staticmethod
    def block_devices(agent):
        return agent.sh('ls /sys/block').split()


# -- data in the guest ------------------------------------------------------

def write_chunk(agent, device, chunk, byte):
    """Fills chunk number ``chunk`` of a raw device with ``byte``."""
    agent.sh("head -c %d /dev/zero | tr '\\000' '\\%03o' | "
             "dd of=%s bs=%d seek=%d conv=notrunc 2>/dev/null && sync"
             % (CHUNK, byte, device, CHUNK, chunk))


def mismatches(agent, device, expected, count):
    """Chunks among the first ``count`` whose content differs from
    ``expected`` (chunk -> byte; 0 where never written), read from the
    device, not from the guest's cache."""
    out = agent.sh(
        'echo 3 > /proc/sys/vm/drop_caches; i=0; while [ $i -lt %d ]; do '
        'dd if=%s bs=%d skip=$i count=1 2>/dev/null | md5sum; '
        'i=$((i+1)); done' % (count, device, CHUNK), timeout=120)
    sums = [line.split()[0] for line in out.splitlines()]
    return [chunk for chunk in range(count)
            if chunk >= len(sums) or
            sums[chunk] != _md5(expected.get(chunk, 0))]


def _md5(byte):
    return hashlib.md5(bytes([byte]) * CHUNK).hexdigest()


def write_file(agent, name, text):
    agent.sh('echo %s > /data/%s && sync' % (text, name))


def read_files(agent):
    """Every /data/k-* file and its text."""
    out = agent.sh('cd /data && for f in k-*; do [ -f "$f" ] && '
                   'echo "$f $(cat "$f")"; done; true')
    return dict(line.split(' ', 1) for line in out.splitlines() if line)


def text(value):
    return content.text_content(value)


def image_mismatches(path, expected, count):
    """Like ``mismatches``, for an image on the host and its backing chain
    (read-only, while QEMU may hold it)."""
    info = json.loads(subprocess.run(
        ['qemu-img', 'info', '-U', '--output=json', path],
        capture_output=True, text=True, check=True).stdout)
    return domains.image_mismatches(path, expected, count, info['format'],
                                    unit=CHUNK)
