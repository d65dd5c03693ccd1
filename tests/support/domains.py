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

"""Real libvirt domains for the functional tests, and their data.

Test domains have no operating system: QEMU runs with the disks attached
and the tests write through QEMU's own block layer (HMP ``qemu-io`` on the
device's backend), the way a guest's writes arrive. What a snapshot holds is
read back from its read-only layer with ``qemu-io -r -U``: the layer and its
backing chain, resolved by QEMU exactly as at boot.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import types
import urllib.parse
import uuid
from xml.etree import ElementTree

import fixtures
import libvirt
import libvirt_qemu

from nova_lightsnap import chain

TEST_DIR = os.environ.get('LIGHTSNAP_TEST_DIR', '/var/lib/lightsnap-test')
# The libvirtd the tests drive: the host's, or a second stack's through its
# own socket (tools/libvirt-next prints the URI and a PATH whose qemu-img
# and qemu-io are that stack's).
URI = os.environ.get('LIGHTSNAP_TEST_URI', 'qemu:///system')
HOST_LIBVIRT_SOCKET = '/run/libvirt/libvirt-sock'
GLUSTER_HOST = os.environ.get('LIGHTSNAP_GLUSTER_HOST', '127.0.0.2')
GLUSTER_VOLUME = os.environ.get('LIGHTSNAP_GLUSTER_VOLUME', 'lightsnap')
REGION = 256 * 1024  # the unit the tests write and verify
DISK_SIZE = 16 * 1024 * 1024

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>{uuid}
  <memory unit='MiB'>{memory}</memory>
  <vcpu>1</vcpu>
  <os>{os}</os>
  <on_poweroff>destroy</on_poweroff>
  <devices>{disks}{extra}</devices>
</domain>"""

NO_OS = "<type arch='x86_64' machine='pc'>hvm</type>"
AGENT_CHANNEL = ("<channel type='unix'><target type='virtio' "
                 "name='org.qemu.guest_agent.0'/></channel>")


# libvirt prints every error on stderr; the tests see them as exceptions.
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def connect():
    return libvirt.open(URI)


def libvirt_socket(uri=URI):
    """The socket of the libvirtd that ``uri`` reaches: its ``socket=``
    parameter, or the host's own."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
    return query.get('socket', [HOST_LIBVIRT_SOCKET])[0]


def qemu_pid_file(name):
    """Where that libvirtd keeps the PID of domain ``name``'s QEMU: its
    run directory, beside its socket (a second stack's is in its root)."""
    return os.path.join(os.path.dirname(libvirt_socket()), 'qemu',
                        '%s.pid' % name)


def qemu_pid(name):
    """The PID of domain ``name``'s QEMU (OSError when it has none)."""
    with open(qemu_pid_file(name)) as handle:
        return int(handle.read().strip())


def host_pids(name):
    """The host's ``name`` processes: not a second stack's, which run in a
    root of their own (tools/libvirt-next)."""
    out = subprocess.run(['pidof', name], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()
            if os.readlink('/proc/%s/root' % p) == '/']


def libvirt_available():
    try:
        connect().close()
        return True
    except libvirt.libvirtError:
        return False


def disk_alias(dom, target):
    """QEMU's name of a running domain's disk device: Nova's volume
    driver names it (``ua-<volume id>``), libvirt numbers the others."""
    root = ElementTree.fromstring(dom.XMLDesc(0))
    for disk in root.iterfind('devices/disk'):
        if disk.find('target').get('dev') == target:
            alias = disk.find('alias')
            if alias is not None:
                return alias.get('name')
    index = 0
    for letter in target[2:]:
        index = index * 26 + ord(letter) - ord('a') + 1
    return 'virtio-disk%d' % (index - 1)


def disk_xml(target, ref, fmt='qcow2', serial=None):
    if ref.kind == 'file':
        source = "<source file='%s'/>" % ref.path
        kind = 'file'
    else:
        source = ("<source protocol='gluster' name='%s/%s'><host name='%s' "
                  "port='%d'/></source>" % (ref.volume, ref.path, ref.host,
                                            ref.port))
        kind = 'network'
    return ("<disk type='%s' device='disk'><driver name='qemu' type='%s'/>"
            "%s<target dev='%s' bus='virtio'/>%s</disk>"
            % (kind, fmt, source, target,
               '<serial>%s</serial>' % serial if serial else ''))


def qemu_img(*args):
    return subprocess.run(['qemu-img'] + [str(a) for a in args], check=True,
                          capture_output=True, text=True).stdout


def gluster_volume():
    from nova_lightsnap.gluster import gfapi
    return gfapi.connect_cached(GLUSTER_HOST, GLUSTER_VOLUME)


def gluster_ref(name):
    """The image ``name`` in the test volume, as a libgfapi disk names it."""
    return chain.ImageRef('gluster', name, host=GLUSTER_HOST,
                          port=chain.GLUSTER_DEFAULT_PORT,
                          volume=GLUSTER_VOLUME)


def gluster_owner(ref):
    """(uid, gid) of the image ``ref`` in the test volume."""
    st = gluster_volume().stat('/' + ref.path)
    return st.st_uid, st.st_gid


def local_path(ref):
    """A path to the image ``ref`` that qemu-io and qemu-img open as a
    local file, with its backing chain: the file itself, or the gluster
    image in the test process's mount of the volume (relative backing
    names resolve there as in the volume)."""
    return ref.path if ref.kind == 'file' else gluster_path(ref.path)


_mount_lock = threading.Lock()
_mount_root = None


def gluster_path(name):
    """A local path to ``name`` in the test volume, for qemu-io and
    qemu-img.

    Run on a gluster:// URL, each of them is a libgfapi client whose
    teardown (glfs_fini) takes about ten seconds at exit. The test process
    mounts the volume once with FUSE instead. The mount is detached from
    the file system tree at once and reached through the process's own
    descriptor of its root (``/proc/<pid>/fd/<fd>``), so no mount point is
    left behind: the mount ends with the process, however that ends. No
    kernel cache (direct I/O, no attribute or entry timeouts): every read
    sees at once what QEMU or the engine wrote through their own clients.
    """
    global _mount_root
    with _mount_lock:
        if _mount_root is None:
            _mount_root = _mount_volume()
    return os.path.join(_mount_root, name.lstrip('/'))


def _mount_volume():
    os.makedirs(TEST_DIR, mode=0o755, exist_ok=True)
    point = tempfile.mkdtemp(prefix='gluster-mount-', dir=TEST_DIR)
    try:
        out = subprocess.run(
            ['mount', '-t', 'glusterfs', '-o',
             'direct-io-mode=enable,attribute-timeout=0,entry-timeout=0,'
             'negative-timeout=0,log-level=WARNING,log-file=%s' %
             os.path.join(TEST_DIR, 'gluster-fuse.log'),
             '%s:/%s' % (GLUSTER_HOST, GLUSTER_VOLUME), point],
            capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError('could not mount the gluster volume with '
                                 'FUSE: %s%s' % (out.stdout, out.stderr))
        try:
            fd = os.open(point, os.O_RDONLY | os.O_DIRECTORY)
        finally:
            subprocess.run(['umount', '-l', point], check=True)
    finally:
        os.rmdir(point)
    return '/proc/%d/fd/%d' % (os.getpid(), fd)


class _NovaHost:
    """The calls Nova's volume code makes on its libvirt Host: which
    mounted volumes guests use already (none of the tests' mounts is in
    use before its domain), a volume's encryption secret, and the
    connection (our volume driver reads the host's capabilities)."""

    def __init__(self, conn):
        self.conn = conn

    def get_connection(self):
        return self.conn

    @staticmethod
    def list_guests(only_running=True):
        return []

    def find_secret(self, usage_type, usage_id):
        assert usage_type == 'volume', usage_type
        try:
            return self.conn.secretLookupByUsage(
                libvirt.VIR_SECRET_USAGE_TYPE_VOLUME, usage_id)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_SECRET:
                return None
            raise


class VolumeAttachment(fixtures.Fixture):
    """The gluster image ``fname`` as Nova attaches it through our volume
    driver with ``[lightsnap] gluster_transport = transport``: 'fuse'
    mounts the volume (Nova's mount manager, its privileged mount run in
    this process) and attaches the file; 'libgfapi' makes a network disk
    and gives the image libvirt's owner. ``ref`` is the image as the
    domain reaches it, ``xml`` the disk; cleaned up, the volume is
    released as on detach (unmounted with its last user). Nova names the
    disk's device after ``serial`` (the volume id): ``ua-<serial>``."""

    def __init__(self, conn, instance_uuid, name, target, fname, serial,
                 transport):
        super().__init__()
        self.conn = conn
        self.instance = types.SimpleNamespace(uuid=instance_uuid)
        self.name = name
        self.target = target
        self.fname = fname
        self.serial = serial
        self.transport = transport

    def _setUp(self):
        from oslo_config import fixture as config_fixture

        import nova.conf
        import nova.privsep
        from nova.virt.libvirt.volume import mount

        from nova_lightsnap.virt.volume import glusterfs

        conf = self.useFixture(config_fixture.Config(nova.conf.CONF))
        conf.config(virt_type='qemu', group='libvirt')
        conf.config(gluster_transport=self.transport, group='lightsnap')
        nova_host = _NovaHost(self.conn)
        if self.transport == 'fuse':
            # Not under a test's directory, whose removal would go down into
            # a mount left behind and empty the shared volume.
            base = tempfile.mkdtemp(prefix='mnt-%s-' % self.name,
                                    dir=TEST_DIR)
            os.chmod(base, 0o755)  # as Nova's state_path/mnt, for QEMU
            self.addCleanup(os.rmdir, base)
            conf.config(glusterfs_mount_point_base=base, group='lightsnap')
            self.useFixture(fixtures.MockPatchObject(
                nova.privsep.sys_admin_pctxt, 'client_mode', False))
            manager = mount.get_manager()
            with manager.cond:
                fresh = manager.state is None
            if fresh:
                manager.host_up(nova_host)  # as nova-compute's init_host
        volume_driver = glusterfs.LibvirtGlusterfsVolumeDriver(nova_host)
        info = {'driver_volume_type': 'glusterfs', 'serial': self.serial,
                'data': {'export': '%s:/%s' % (GLUSTER_HOST, GLUSTER_VOLUME),
                         'name': self.fname, 'format': 'qcow2'}}
        volume_driver.connect_volume(info, self.instance)
        self.addCleanup(volume_driver.disconnect_volume, info, self.instance)
        self.xml = volume_driver.get_config(
            info, {'dev': self.target, 'bus': 'virtio', 'type': 'disk'}
        ).to_xml()
        if self.transport == 'fuse':
            self.ref = chain.ImageRef('file', info['data']['device_path'])
        else:
            self.ref = gluster_ref(self.fname)


class TestDomain(fixtures.Fixture):
    """A domain with qcow2 disks on local files and/or the gluster volume.

    ``disks`` maps a target to 'file', 'gluster' (a libgfapi network disk),
    'volume' (the same, as our volume driver attaches it: root's image
    given libvirt's owner, and libvirt told to leave it) or 'fuse' (a file
    in the gluster volume, mounted as Nova mounts it).
    """

    def __init__(self, disks=None, running=True, agent_channel=False,
                 os_xml=NO_OS, memory=64, persistent=True, serials=None,
                 nova_layout=False, instance_files=None, extra_xml='',
                 disk_size=DISK_SIZE):
        """``nova_layout``: the root disk ``vda`` laid out as Nova's qcow2
        image backend does, ``<dir>/instances/<uuid>/disk`` backed by a raw
        image in ``<dir>/instances/_base`` (absolute backing name), and the
        file disks named in ``instance_files`` (target -> file name, such
        as ``disk.eph0``) beside it. ``extra_xml`` goes into
        ``<devices>`` as it is, with ``{dir}`` replaced by the test's
        directory."""
        super().__init__()
        self.disk_size = disk_size
        self.nova_layout = nova_layout
        self.instance_files = instance_files or {}
        self.extra_xml = extra_xml
        self.disk_kinds = disks or {'vda': 'file', 'vdb': 'file'}
        self.running = running
        self.agent_channel = agent_channel
        self.os_xml = os_xml
        self.memory = memory
        self.persistent = persistent
        self.serials = serials or {}

    def _setUp(self):
        os.makedirs(TEST_DIR, mode=0o755, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix='run-', dir=TEST_DIR)
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.state_dir = os.path.join(self.dir, 'state')
        self.name = 'lstest-%s' % uuid.uuid4().hex[:10]
        self.uuid = str(uuid.uuid4())
        self.instances_path = os.path.join(self.dir, 'instances')
        self.conn = connect()
        self.addCleanup(self.conn.close)
        self.roots = {}
        self.disk_xml = {}  # a target's disk XML, when a driver made it
        for target, kind in sorted(self.disk_kinds.items()):
            self.roots[target] = self._make_disk(target, kind)
        xml = DOMAIN_XML.format(
            name=self.name, memory=self.memory, os=self.os_xml,
            uuid='\n  <uuid>%s</uuid>' % self.uuid,
            disks=''.join(self.disk_xml.get(t) or
                          disk_xml(t, r, serial=self.serials.get(t))
                          for t, r in sorted(self.roots.items())),
            extra=self.extra_xml.replace('{dir}', self.dir) +
            (AGENT_CHANNEL if self.agent_channel else ''))
        self.addCleanup(self._remove_domain)
        if self.persistent:
            self.dom = self.conn.defineXML(xml)
            if self.running:
                self.dom.create()
        else:
            self.dom = self.conn.createXML(xml, 0)

    def _make_disk(self, target, kind):
        fname = '%s-%s.qcow2' % (self.name, target)
        instance_dir = os.path.join(self.instances_path, self.uuid)
        if self.nova_layout and target in self.instance_files:
            os.makedirs(instance_dir, mode=0o755, exist_ok=True)
            path = os.path.join(instance_dir, self.instance_files[target])
            qemu_img('create', '-q', '-f', 'qcow2', path, self.disk_size)
            os.chmod(path, 0o666)
            return chain.ImageRef('file', path)
        if self.nova_layout and target == 'vda':
            base = os.path.join(self.instances_path, '_base', self.uuid)
            path = os.path.join(self.instances_path, self.uuid, 'disk')
            for directory in (os.path.dirname(base), os.path.dirname(path)):
                os.makedirs(directory, mode=0o755, exist_ok=True)
            qemu_img('create', '-q', '-f', 'raw', base, self.disk_size)
            qemu_img('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw',
                     path)
            os.chmod(base, 0o644)
            os.chmod(path, 0o666)
            return chain.ImageRef('file', path)
        if kind == 'file':
            path = os.path.join(self.dir, fname)
            qemu_img('create', '-q', '-f', 'qcow2', path, self.disk_size)
            os.chmod(path, 0o666)
            return chain.ImageRef('file', path)
        local = os.path.join(self.dir, fname)
        qemu_img('create', '-q', '-f', 'qcow2', local, self.disk_size)
        from nova_lightsnap.gluster import gfapi
        vol = gluster_volume()
        # A volume's image as Cinder leaves it, root's: the volume driver
        # gives it libvirt's owner.
        owner = (0, 0) if kind == 'volume' else (64055, 64055)
        vol.copy_in(local, '/' + fname, mode=0o660 if kind == 'volume'
                    else 0o666, uid=owner[0], gid=owner[1],
                    pad_to=gfapi.QEMU_GLUSTER_ALIGN)
        os.unlink(local)
        self.addCleanup(self._remove_gluster_files, fname[:-len('.qcow2')])
        if kind in ('fuse', 'volume'):
            attachment = self.useFixture(VolumeAttachment(
                self.conn, self.uuid, self.name, target, fname,
                self.serials.get(target, str(uuid.uuid4())),
                'fuse' if kind == 'fuse' else 'libgfapi'))
            self.disk_xml[target] = attachment.xml
            return attachment.ref
        return gluster_ref(fname)

    def _remove_gluster_files(self, prefix):
        vol = gluster_volume()
        for name in vol.listdir('/'):
            if name.startswith(prefix):
                vol.unlink('/' + name)

    def _remove_domain(self):
        try:
            dom = self.conn.lookupByName(self.name)
        except libvirt.libvirtError:
            return
        try:
            persistent = dom.isPersistent()
            if dom.isActive():
                self._kill_qemu()
                try:
                    dom.destroy()
                except libvirt.libvirtError:
                    # libvirtd saw the process end first.
                    if dom.isActive():
                        raise
            if persistent:
                dom.undefine()
        except libvirt.libvirtError as exc:
            # A transient domain is gone with its QEMU, which libvirtd may
            # have noticed between two of these calls.
            if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                raise

    def _kill_qemu(self):
        """End the domain's QEMU at once. libvirt's destroy asks it to quit
        first, and a QEMU with a gluster disk then spends libgfapi's ~10 s
        teardown before it exits; the test is over, its data no longer
        matters."""
        try:
            pid = qemu_pid(self.name)
            with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                ours = b'guest=%s,' % self.name.encode() in handle.read()
            if ours:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass  # not running any more; destroy tells

    # -- views ----------------------------------------------------------

    @property
    def domain(self):
        return self.conn.lookupByName(self.name)

    def disks(self):
        dom = self.domain
        flags = 0 if dom.isActive() else libvirt.VIR_DOMAIN_XML_INACTIVE
        return {d.target: d for d in chain.parse_disks(dom.XMLDesc(flags))}

    def local_files(self):
        """The names of the files beside the disks: in the domain's
        directory, and its own in the FUSE mounts of the shared volume."""
        if self.nova_layout:
            return sorted(os.listdir(os.path.join(self.instances_path,
                                                  self.uuid)))
        names = [f for f in os.listdir(self.dir)
                 if f not in ('state', 'instances')]
        for directory in {self.roots[t].dirname for t, kind
                          in self.disk_kinds.items() if kind == 'fuse'}:
            names += [f for f in os.listdir(directory)
                      if f.startswith(self.name)]
        return sorted(names)

    def gluster_files(self):
        prefix = self.name
        return sorted(n for n in gluster_volume().listdir('/')
                      if n.startswith(prefix))

    # -- data -----------------------------------------------------------

    def _hmp(self, target, command):
        alias = disk_alias(self.domain, target)
        return libvirt_qemu.qemuMonitorCommand(
            self.domain, 'qemu-io -d %s/virtio-backend "%s"' % (alias,
                                                                command),
            libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)

    def write(self, target, region, pattern):
        """Write ``pattern`` over region number ``region`` of ``target``."""
        command = 'write -P %d %d %d' % (pattern, region * REGION, REGION)
        dom = self.domain
        if dom.isActive():
            self._hmp(target, command)
            self._hmp(target, 'flush')
        else:
            out = subprocess.run(
                ['qemu-io', '-f', 'qcow2',
                 local_path(self.disks()[target].active.ref), '-c', command],
                capture_output=True, text=True)
            assert out.returncode == 0 and 'wrote' in out.stdout, out

    def fill(self, target, length, pattern, chunk=64 * 1024 * 1024,
             start=0):
        """Write ``length`` bytes from ``start`` through the running
        QEMU."""
        for offset in range(start, start + length, chunk):
            self._hmp(target, 'write -P %d %d %d' % (
                pattern, offset, min(chunk, start + length - offset)))
        self._hmp(target, 'flush')

    def flush(self):
        """Make QEMU write its cached metadata, so the host reads it too."""
        if self.domain.isActive():
            for target in self.roots:
                self._hmp(target, 'flush')

    def mismatches(self, ref, expected, regions, fmt='qcow2'):
        """Regions whose content in ``ref``'s chain differs from expected.

        ``expected`` maps a region to its pattern (0 where never written).
        """
        return image_mismatches(local_path(ref), expected, regions, fmt,
                                name=ref.url)


def image_mismatches(path, expected, count, fmt, unit=REGION, name=None):
    """Units among the first ``count`` of the image at ``path`` (and its
    backing chain, read-only, while QEMU may hold it) whose content differs
    from ``expected`` (unit -> pattern; 0 where never written)."""
    args = ['qemu-io', '-r', '-U', '-f', fmt, path]
    for index in range(count):
        args += ['-c', 'read -P %d %d %d' % (
            expected.get(index, 0), index * unit, unit)]
    out = subprocess.run(args, capture_output=True, text=True)
    # qemu-io exits non-zero when a pattern does not match; anything on
    # stderr means it could not read at all.
    if out.stderr.strip() or 'read ' not in out.stdout:
        raise AssertionError('qemu-io failed on %s: %s' % (name or path,
                                                           out.stderr))
    bad = set()
    for line in out.stdout.splitlines():
        if 'verification failed' in line:
            offset = int(line.split('offset ')[1].split(',')[0])
            bad.add(offset // unit)
    return sorted(bad)


def guest_os_xml():
    """Direct kernel boot of the tiny guest (built once, then cached)."""
    from tests.support import guest
    kernel, initrd = guest.build_guest(os.path.join(TEST_DIR, 'guest'))
    return ("<type arch='x86_64' machine='q35'>hvm</type>"
            "<kernel>%s</kernel><initrd>%s</initrd>"
            "<cmdline>console=ttyS0 quiet</cmdline>" % (kernel, initrd))
