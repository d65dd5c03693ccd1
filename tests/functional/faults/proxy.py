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

"""A man in the middle between a lightsnap process and libvirtd.

Faults must strike at exact points of an operation: right after libvirt has
switched the disks but before the caller heard of it, or while a request is
still unsent. The proxy reads libvirt's RPC framing (a 4-byte length, then
program, version, procedure, type, serial, status) and can

* hold a call of a given procedure before libvirtd sees it,
* hold the reply of a given procedure after libvirtd has done the work,
* cut the connection once a call is forwarded (what a client sees when
  libvirtd is restarted under it).

While something is held the test kills the client (SIGKILL) or cuts the
connection. Nothing in the engine knows the proxy is there: it connects to
``qemu+unix:///system?socket=PATH`` like to any libvirtd.
"""

import os
import socket
import struct
import threading

from tests.support import domains

LIBVIRT_SOCK = os.environ.get('LIGHTSNAP_TEST_LIBVIRT_SOCK',
                              domains.libvirt_socket())

# Procedure numbers of libvirt's remote protocol (stable on the wire).
DOMAIN_CREATE = 9
DOMAIN_CREATE_XML = 10
DOMAIN_DEFINE_XML = 11
DOMAIN_DESTROY = 12
SNAPSHOT_CREATE_XML = 185
BLOCK_JOB_ABORT = 237
BLOCK_REBASE = 239
BLOCK_COMMIT = 290

CALL = 0
REPLY = 1


def _recv_exact(sock, size):
    buf = b''
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise EOFError()
        buf += chunk
    return buf


def _read_frame(sock):
    head = _recv_exact(sock, 4)
    (length,) = struct.unpack('>I', head)
    body = _recv_exact(sock, length - 4)
    proc, mtype = struct.unpack('>iI', body[8:16])
    return head + body, proc, mtype


class Trap:
    """One armed fault: where it strikes, and whether it has."""

    def __init__(self, proc, when, nth=1, action='hold'):
        assert when in ('call', 'reply')
        assert action in ('hold', 'cut')
        self.proc = proc
        self.when = when
        self.nth = nth
        self.action = action
        self.seen = 0
        self.hit = threading.Event()
        self.release = threading.Event()

    def matches(self, proc, when):
        if proc != self.proc or when != self.when:
            return False
        self.seen += 1
        return self.seen == self.nth


class LibvirtProxy:
    def __init__(self, path):
        self.path = path
        self.traps = []
        self.calls = []  # procedures called, in order, for diagnosis
        self.forwarded = []  # procedures of the calls libvirtd was sent
        self.errors = []
        self._conns = []
        self._lock = threading.Lock()
        self._closed = False
        # A cut is under way: nothing more reaches the client.
        self._mute = False
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self):
        return 'qemu+unix:///system?socket=%s' % self.path

    def arm(self, proc, when, nth=1, action='hold'):
        trap = Trap(proc, when, nth, action)
        with self._lock:
            self.traps.append(trap)
        return trap

    def cut(self):
        """Drop every connection, as a libvirtd restart does."""
        with self._lock:
            conns, self._conns = self._conns, []
        for pair in conns:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        for trap in self.traps:
            trap.release.set()

    def close(self):
        self._closed = True
        self._listener.close()
        self.cut()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            # Blocking for good: other tests of the same process may have
            # set a default timeout, and a held call must wait.
            client.settimeout(None)
            server.settimeout(None)
            server.connect(LIBVIRT_SOCK)
            with self._lock:
                self._conns.append((client, server))
            pending = {}  # serial -> proc of calls in flight
            threading.Thread(target=self._pump, daemon=True,
                             args=(client, server, 'call', pending)).start()
            threading.Thread(target=self._pump, daemon=True,
                             args=(server, client, 'reply', pending)).start()

    def _trap_for(self, proc, when):
        with self._lock:
            for trap in self.traps:
                if not trap.hit.is_set() and trap.matches(proc, when):
                    return trap
        return None

    def _pump(self, src, dst, when, pending):
        try:
            while True:
                frame, proc, mtype = _read_frame(src)
                if when == 'call' and mtype == CALL:
                    self.calls.append(proc)
                wanted = ((when == 'call' and mtype == CALL) or
                          (when == 'reply' and mtype == REPLY))
                trap = self._trap_for(proc, when) if wanted else None
                if self._mute and when == 'reply':
                    continue
                if trap is not None and trap.action == 'cut':
                    self._mute = True
                    dst.sendall(frame)
                    trap.hit.set()
                    # Let libvirtd read the call before the line drops.
                    trap.release.wait(0.5)
                    self.cut()
                    self._mute = False
                    return
                if trap is not None:
                    trap.hit.set()
                    trap.release.wait()
                    if self._closed:
                        return
                dst.sendall(frame)
                if when == 'call' and mtype == CALL:
                    self.forwarded.append(proc)
        except (EOFError, OSError) as exc:
            self.errors.append('%s: %r' % (when, exc))
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
