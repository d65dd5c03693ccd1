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

"""What every benchmark needs: a running domain, timing, machine facts."""

import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from xml.etree import ElementTree

import libvirt
import libvirt_qemu

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import host
from tests.support import domains

GiB = 1024 ** 3
MiB = 1024 ** 2
CHUNK = 512 * MiB  # qemu-io refuses single requests of 2 GiB and more


def machine():
    conn = libvirt.open(domains.URI)
    try:
        lib, hyp = conn.getLibVersion(), conn.getVersion()
    finally:
        conn.close()

    def ver(n):
        return '%d.%d.%d' % (n // 1000000, n // 1000 % 1000, n % 1000)

    with open('/proc/meminfo') as handle:
        mem_kib = int(handle.readline().split()[1])
    return {'cores': os.cpu_count(), 'memory_gib': round(mem_kib / 2 ** 20),
            'libvirt': ver(lib), 'qemu': ver(hyp),
            'python': platform.python_version(),
            'kernel': platform.release(), 'domain_type': 'qemu (TCG)'}


def fill(path, length, pattern=7, fmt='qcow2'):
    """Write ``length`` bytes into an image no QEMU has open."""
    args = ['qemu-io', '-f', fmt, path]
    for off in range(0, length, CHUNK):
        args += ['-c', 'write -P %d %d %d' % (pattern, off,
                                              min(CHUNK, length - off))]
    subprocess.run(args, check=True, capture_output=True)


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return {'median_ms': round(statistics.median(ordered) * 1000, 1),
            'p95_ms': round(p95 * 1000, 1), 'n': len(ordered)}


def timed(func, *args):
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


class BenchDomain:
    """A domain with one qcow2 disk (vda), pre-filled while shut off: a
    local file, a gluster network disk (``kind`` 'gluster', libgfapi), the
    same as our volume driver attaches it ('volume': given libvirt's owner,
    libvirt told to leave it) or a file on a FUSE mount of the volume
    ('fuse'), as the volume driver attaches that.

    ``os_xml`` and ``agent`` make it the tiny guest instead of a domain
    with no operating system.
    """

    counter = 0

    def __init__(self, size, filled=0, running=True, os_xml=domains.NO_OS,
                 memory=64, agent=False, kind='file', cache=None):
        BenchDomain.counter += 1
        self.dir = tempfile.mkdtemp(prefix='bench-', dir=domains.TEST_DIR)
        os.chmod(self.dir, 0o755)
        self.name = 'lsbench-%d-%d' % (os.getpid(), BenchDomain.counter)
        self.conn = libvirt.open(domains.URI)
        self.kind = kind
        local = os.path.join(self.dir, '%s-vda.qcow2' % self.name)
        domains.qemu_img('create', '-q', '-f', 'qcow2', local, size)
        if filled:
            fill(local, filled)
        os.chmod(local, 0o666)
        self.attachment = None
        if kind == 'file':
            ref = ImageRef('file', local)
        else:
            from nova_lightsnap.gluster import gfapi
            vol = domains.gluster_volume()
            # A volume's image as Cinder leaves it, root's.
            owner = 0 if kind == 'volume' else 64055
            vol.copy_in(local, '/' + os.path.basename(local), mode=0o660,
                        uid=owner, gid=owner,
                        pad_to=gfapi.QEMU_GLUSTER_ALIGN)
            os.unlink(local)
            ref = domains.gluster_ref(os.path.basename(local))
        disk = domains.disk_xml('vda', ref)
        if kind in ('fuse', 'volume'):
            self.attachment = domains.VolumeAttachment(
                self.conn, str(uuid.uuid4()), self.name, 'vda', ref.path,
                serial=str(uuid.uuid4()),
                transport='fuse' if kind == 'fuse' else 'libgfapi')
            self.attachment.setUp()
            ref, disk = self.attachment.ref, self.attachment.xml
        self.ref = ref
        if cache:
            disk_el = ElementTree.fromstring(disk)
            disk_el.find('driver').set('cache', cache)
            disk = ElementTree.tostring(disk_el, encoding='unicode')
        xml = domains.DOMAIN_XML.format(
            name=self.name, uuid='', memory=memory, os=os_xml,
            disks=disk, extra=domains.AGENT_CHANNEL if agent else '')
        self.dom = self.conn.defineXML(xml)
        if running:
            self.dom.create()
        self.host = host.Host(domains.URI,
                              state_dir=os.path.join(self.dir, 'state'))

    def handle(self):
        return self.host.domain(self.name)

    def hmp_io(self, command):
        """One qemu-io command in the running QEMU, on vda's backend."""
        return libvirt_qemu.qemuMonitorCommand(
            self.dom, 'qemu-io -d %s/virtio-backend "%s"' % (
                domains.disk_alias(self.dom, 'vda'), command),
            libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)

    def hmp_write(self, offset, length, pattern=9):
        for off in range(offset, offset + length, 64 * MiB):
            self.hmp_io('write -P %d %d %d' % (
                pattern, off, min(64 * MiB, offset + length - off)))

    def close(self):
        self.host.close()
        dom = self.conn.lookupByName(self.name)
        if dom.isActive():
            dom.destroy()
        dom.undefine()
        if self.attachment is not None:
            self.attachment.cleanUp()
        self.conn.close()
        if self.kind != 'file':
            vol = domains.gluster_volume()
            for name in vol.listdir('/'):
                if name.startswith(self.name):
                    vol.unlink('/' + name)
        shutil.rmtree(self.dir, True)
