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

"""A tiny libvirt test guest and a small client for its guest agent.

The guest (built by ``tools/build-tiny-guest``) is a Debian 12 kernel with a
busybox + qemu-guest-agent initramfs, booted directly (no bootloader, no
root disk) under libvirt domain type ``qemu`` (TCG).  Inside the guest:

* ``/dev/vda`` is mounted on ``/data`` (formatted as ext2 on first boot if it
  does not hold a mountable file system);
* ``/dev/vdb``, if present, is left raw;
* qemu-ga listens on the virtio-serial channel ``org.qemu.guest_agent.0``
  with every RPC allowed (guest-exec included);
* ``LIGHTSNAP-GUEST-READY`` is printed on the serial console when the agent
  has been started.

Only the standard library, ``libvirt`` and ``libvirt_qemu`` are used.
"""

import base64
import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import libvirt
import libvirt_qemu

BUILD_SCRIPT = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    '..', '..', 'tools', 'build-tiny-guest'))

READY_MARKER = 'LIGHTSNAP-GUEST-READY'
AGENT_CHANNEL = 'org.qemu.guest_agent.0'


def build_guest(outdir):
    """Build (or reuse the cached) tiny guest in outdir.

    Returns (kernel_path, initrd_path), both absolute.  Needs root the first
    time (apt-get); later calls return at once.
    """
    outdir = os.path.abspath(outdir)
    proc = subprocess.run([BUILD_SCRIPT, outdir],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError('%s %s failed (exit %d):\n%s' % (
            BUILD_SCRIPT, outdir, proc.returncode,
            proc.stdout.decode('utf-8', 'replace')))
    return (os.path.join(outdir, 'vmlinuz'),
            os.path.join(outdir, 'initrd.img'))


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()
                                     if v is not None})
    if text is not None:
        el.text = str(text)
    return el


def _disk_xml(devices, disk):
    dtype = disk.get('type', 'file')
    el = _sub(devices, 'disk', type=dtype, device='disk')
    _sub(el, 'driver', name='qemu', type=disk.get('format', 'raw'),
         cache=disk.get('cache'))
    if dtype == 'file':
        _sub(el, 'source', file=disk['path'])
    elif dtype == 'block':
        _sub(el, 'source', dev=disk['path'])
    elif dtype == 'network':
        src = _sub(el, 'source', protocol=disk['protocol'], name=disk['name'])
        hosts = disk.get('hosts') or [
            {'name': disk['host'], 'port': disk.get('port'),
             'transport': disk.get('transport')}]
        for h in hosts:
            _sub(src, 'host', name=h['name'], port=h.get('port'),
                 transport=h.get('transport'))
    else:
        raise ValueError('unsupported disk type %r' % dtype)
    _sub(el, 'target', dev=disk['target'], bus='virtio')
    if disk.get('readonly'):
        _sub(el, 'readonly')
    if disk.get('serial'):
        _sub(el, 'serial', disk['serial'])
    return el


def guest_domain_xml(name, kernel, initrd, disks, memory_mib=256, agent=True,
                     console_log=None, vcpus=1):
    """Return the libvirt domain XML for the tiny guest.

    disks: list of dicts, e.g.
      {'target': 'vda', 'type': 'file', 'path': '/abs/x.qcow2',
       'format': 'qcow2'}
      {'target': 'vdb', 'type': 'network', 'protocol': 'gluster',
       'name': 'VOL/img.qcow2', 'host': '127.0.0.2', 'port': 24007,
       'format': 'qcow2'}
    Optional keys: 'cache', 'readonly', 'serial', 'transport', 'hosts'
    (list of {'name', 'port', 'transport'}); 'type' may also be 'block'.
    console_log: if given, the serial console is also logged to this file.
    """
    dom = ET.Element('domain', type='qemu')
    _sub(dom, 'name', name)
    _sub(dom, 'memory', memory_mib, unit='MiB')
    _sub(dom, 'vcpu', vcpus)
    os_el = _sub(dom, 'os')
    _sub(os_el, 'type', 'hvm', arch='x86_64', machine='q35')
    _sub(os_el, 'kernel', kernel)
    _sub(os_el, 'initrd', initrd)
    _sub(os_el, 'cmdline', 'console=ttyS0 quiet')
    features = _sub(dom, 'features')
    _sub(features, 'acpi')
    _sub(dom, 'on_poweroff', 'destroy')
    _sub(dom, 'on_reboot', 'restart')
    _sub(dom, 'on_crash', 'destroy')
    devices = _sub(dom, 'devices')
    for disk in disks:
        _disk_xml(devices, disk)
    _sub(devices, 'controller', type='usb', model='none')
    serial = _sub(devices, 'serial', type='pty')
    _sub(serial, 'target', port=0)
    if console_log:
        _sub(serial, 'log', file=console_log, append='off')
    if agent:
        chan = _sub(devices, 'channel', type='unix')
        _sub(chan, 'target', type='virtio', name=AGENT_CHANNEL)
    _sub(devices, 'memballoon', model='none')
    return ET.tostring(dom, encoding='unicode')


class GuestAgentError(Exception):
    """The agent answered with an error, or a guest command failed."""


class GuestAgent(object):
    """Talks to qemu-ga in a running libvirt domain."""

    def __init__(self, dom):
        self.dom = dom

    def command(self, execute, arguments=None, timeout=10, frozen_wait=30):
        """Send one agent command; return its 'return' value.

        While a snapshot has the guest's file systems frozen (a daily one
        the scheduler takes, say), the agent refuses most commands: they
        are sent again once it thaws, as a user would, for up to
        ``frozen_wait`` seconds."""
        cmd = {'execute': execute}
        if arguments is not None:
            cmd['arguments'] = arguments
        deadline = time.monotonic() + frozen_wait
        while True:
            try:
                out = libvirt_qemu.qemuAgentCommand(
                    self.dom, json.dumps(cmd), timeout, 0)
                break
            except libvirt.libvirtError as exc:
                if ('frozen state' not in str(exc) or
                        time.monotonic() >= deadline):
                    raise
            time.sleep(0.5)
        reply = json.loads(out) if out else {}
        if 'error' in reply:
            raise GuestAgentError('%s: %s' % (execute, reply['error']))
        return reply.get('return')

    def wait_ready(self, timeout=120):
        """Poll guest-ping until the agent answers; raise on timeout."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                self.command('guest-ping', timeout=5)
                return
            except libvirt.libvirtError as e:
                last = e
            if not self.dom.isActive():
                raise GuestAgentError('domain %s is not running (last agent '
                                      'error: %s)' % (self.dom.name(), last))
            if time.monotonic() >= deadline:
                raise GuestAgentError('guest agent of %s did not answer in '
                                      '%ss: %s' % (self.dom.name(), timeout,
                                                   last))
            time.sleep(0.5)

    def exec(self, argv, timeout=60, input_data=None):
        """Run argv in the guest; return (exitcode, stdout, stderr) bytes.

        A command killed by a signal gives exitcode -signal.
        """
        args = {'path': argv[0], 'arg': list(argv[1:]),
                'capture-output': True}
        if input_data is not None:
            if isinstance(input_data, str):
                input_data = input_data.encode()
            args['input-data'] = base64.b64encode(input_data).decode('ascii')
        pid = self.command('guest-exec', args)['pid']
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            st = self.command('guest-exec-status', {'pid': pid})
            if st.get('exited'):
                break
            if time.monotonic() >= deadline:
                raise GuestAgentError('guest command %r (pid %s) did not '
                                      'finish in %ss' % (argv, pid, timeout))
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        out = base64.b64decode(st.get('out-data', ''))
        err = base64.b64decode(st.get('err-data', ''))
        if 'exitcode' in st:
            code = st['exitcode']
        else:
            code = -st.get('signal', 255)
        return code, out, err

    def sh(self, script, timeout=60):
        """Run a /bin/sh script in the guest; return its stdout as str.

        Raises GuestAgentError if it exits non-zero.
        """
        code, out, err = self.exec(['/bin/sh', '-c', script], timeout=timeout)
        if code != 0:
            raise GuestAgentError(
                'guest script failed (exit %s): %r\nstdout: %s\nstderr: %s'
                % (code, script, out.decode('utf-8', 'replace'),
                   err.decode('utf-8', 'replace')))
        return out.decode('utf-8', 'replace')

    def freeze_status(self):
        """Return 'frozen' or 'thawed' (guest-fsfreeze-status)."""
        return self.command('guest-fsfreeze-status')
