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

"""Functional tests of nova_lightsnap.gluster.gfapi against a real volume.

Needs root, glusterfs-server and libgfapi0; runs tools/gluster-up first
(which starts glusterd on 127.0.0.2 and the one-brick volume ``lightsnap``).
Every file created in the volume is removed again.

All tests share one cached connection (glfs_fini costs ~10 s);
test_close_and_second_client pays for exactly one glfs_fini.
"""

import errno
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

from nova_lightsnap.gluster import gfapi

from tests.support import testcase

HERE = os.path.dirname(os.path.abspath(__file__))
GLUSTER_UP = os.path.normpath(os.path.join(HERE, '..', '..', 'tools',
                                           'gluster-up'))
HOST = os.environ.get('LIGHTSNAP_GLUSTER_HOST', '127.0.0.2')
VOLUME = os.environ.get('LIGHTSNAP_GLUSTER_VOLUME', 'lightsnap')
MiB = 1024 * 1024


def _qemu_uid_gid():
    import grp
    import pwd
    return (pwd.getpwnam('libvirt-qemu').pw_uid,
            grp.getgrnam('libvirt-qemu').gr_gid)


_up_lock = threading.Lock()
_up_done = False


def _gluster_up():
    global _up_done
    with _up_lock:
        if _up_done:
            return
        proc = subprocess.run([GLUSTER_UP, VOLUME], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=300)
        if proc.returncode != 0:
            raise AssertionError('%s failed (exit %d):\n%s' % (
                GLUSTER_UP, proc.returncode,
                proc.stdout.decode('utf-8', 'replace')))
        _up_done = True


class GfapiVolumeTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        _gluster_up()
        self.vol = gfapi.connect_cached(HOST, VOLUME)
        self.prefix = 'lstest-gfapi-%s-' % uuid.uuid4().hex[:8]
        self.tmp = tempfile.mkdtemp(prefix='lstest-gfapi-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def name(self, suffix):
        """A fresh name in the volume root, removed after the test."""
        n = '/' + self.prefix + suffix
        self.addCleanup(self._remove, n)
        return n

    def _remove(self, n):
        try:
            self.vol.unlink(n)
        except gfapi.GlusterError as exc:
            if exc.errno != errno.ENOENT:
                raise

    def assertGlusterErrno(self, err, func, *args, **kwargs):
        try:
            func(*args, **kwargs)
        except gfapi.GlusterError as exc:
            self.assertIsInstance(exc, OSError)
            self.assertEqual(err, exc.errno, str(exc))
            return exc
        self.fail('%s%r did not raise errno %s' % (
            func.__name__, args, errno.errorcode[err]))

    # --- connection ---------------------------------------------------------

    def test_connect_cached_returns_same_volume(self):
        self.assertIs(self.vol, gfapi.connect_cached(HOST, VOLUME))
        self.assertTrue(self.vol.connected)

    def test_connect_missing_volume_fails_with_errno(self):
        t0 = time.monotonic()
        vol = gfapi.Volume(HOST, 'lstest-no-such-volume')
        self.assertGlusterErrno(errno.ENOENT, vol.connect)
        self.assertFalse(vol.connected)
        self.assertLess(time.monotonic() - t0, 30)
        vol.close()  # no-op

    def test_connect_nothing_listening_fails_with_errno(self):
        vol = gfapi.Volume(HOST, VOLUME, port=24099)
        try:
            vol.connect()
        except gfapi.GlusterError as exc:
            self.assertTrue(exc.errno, exc)  # ENOTCONN here
        else:
            self.fail('connect to a closed port succeeded')
        self.assertFalse(vol.connected)

    def test_not_connected_raises_enotconn(self):
        vol = gfapi.Volume(HOST, VOLUME)
        self.assertGlusterErrno(errno.ENOTCONN, vol.exists, '/')

    def test_close_and_second_client(self):
        # A second, short-lived connection: what it writes is visible to the
        # cached one at once and the other way round; then glfs_fini.
        a, b = self.name('a'), self.name('b')
        self.vol.write_file(a, b'from the cached client')
        with gfapi.Volume(HOST, VOLUME) as other:
            self.assertTrue(other.connected)
            self.assertEqual(b'from the cached client', other.read_file(a))
            other.write_file(b, b'from the second client')
            self.assertEqual(b'from the second client',
                             self.vol.read_file(b))
            t0 = time.monotonic()
        self.assertFalse(other.connected)
        # glfs_fini is slow here (~11 s: event threads never report gone,
        # gf_event_dispatch_destroy waits threadcount + 10 seconds).
        self.assertLess(time.monotonic() - t0, 60)
        self.assertGlusterErrno(errno.ENOTCONN, other.exists, a)
        other.close()  # idempotent

    # --- data ---------------------------------------------------------------

    def test_write_read_back_byte_for_byte(self):
        n = self.name('data')
        data = os.urandom(3 * MiB + 12345) + b'\0\n\xff' * 1000
        uid, gid = _qemu_uid_gid()
        self.vol.write_file(n, data, mode=0o660, uid=uid, gid=gid)
        self.assertEqual(data, self.vol.read_file(n))
        self.assertEqual(data[5:5 + 100], self.vol.read_file(n, 5, 100))
        self.assertEqual(data[MiB - 3:MiB + 5],
                         self.vol.read_file(n, MiB - 3, 8))
        self.assertEqual(data[-10:], self.vol.read_file(n, len(data) - 10))
        self.assertEqual(data[-10:], self.vol.read_file(n, len(data) - 10,
                                                        1000))
        self.assertEqual(b'', self.vol.read_file(n, len(data) + 10))
        st = self.vol.stat(n)
        self.assertEqual(len(data), st.st_size)
        self.assertEqual(0o100660, st.st_mode)
        self.assertEqual(uid, st.st_uid)
        self.assertEqual(gid, st.st_gid)
        self.assertEqual(1, st.st_nlink)

    def test_write_empty_and_default_mode(self):
        n = self.name('empty')
        self.vol.write_file(n, b'')
        st = self.vol.stat(n)
        self.assertEqual(0, st.st_size)
        # 0o666 regardless of any umask, so QEMU (libvirt-qemu) can use it
        self.assertEqual(0o100666, st.st_mode)
        self.assertEqual(b'', self.vol.read_file(n))

    def test_exclusive_create_refuses_existing_file(self):
        n = self.name('excl')
        self.vol.write_file(n, b'first')
        self.assertGlusterErrno(errno.EEXIST, self.vol.write_file, n,
                                b'second')
        self.assertEqual(b'first', self.vol.read_file(n))
        src = os.path.join(self.tmp, 'src')
        with open(src, 'wb') as f:
            f.write(b'third')
        self.assertGlusterErrno(errno.EEXIST, self.vol.copy_in, src, n)
        self.assertEqual(b'first', self.vol.read_file(n))
        # non-exclusive truncates and replaces
        self.vol.write_file(n, b'4', exclusive=False)
        self.assertEqual(b'4', self.vol.read_file(n))

    def test_copy_in_copy_out_5mib_sha256(self):
        n = self.name('big')
        src = os.path.join(self.tmp, 'src')
        data = os.urandom(5 * MiB)
        with open(src, 'wb') as f:
            f.write(data)
        self.assertEqual(5 * MiB, self.vol.copy_in(src, n))
        self.assertEqual(5 * MiB, self.vol.stat(n).st_size)
        self.assertEqual(0o100666, self.vol.stat(n).st_mode)
        dst = os.path.join(self.tmp, 'dst')
        with open(dst, 'wb') as f:
            f.write(b'old content, longer than nothing' * 1000)
        self.assertEqual(5 * MiB, self.vol.copy_out(n, dst))
        with open(dst, 'rb') as f:
            got = f.read()
        self.assertEqual(hashlib.sha256(data).hexdigest(),
                         hashlib.sha256(got).hexdigest())

    def test_copy_in_pad_to(self):
        src = os.path.join(self.tmp, 'src')
        with open(src, 'wb') as f:
            f.write(b'\x01' * 1000)
        n = self.name('padded')
        self.assertEqual(1024, self.vol.copy_in(
            src, n, pad_to=gfapi.QEMU_GLUSTER_ALIGN))
        self.assertEqual(b'\x01' * 1000 + b'\0' * 24, self.vol.read_file(n))
        n2 = self.name('padded2')  # already aligned: unchanged
        with open(src, 'wb') as f:
            f.write(b'\x02' * 512)
        self.assertEqual(512, self.vol.copy_in(src, n2, pad_to=512))
        self.assertEqual(512, self.vol.stat(n2).st_size)

    def test_copy_out_missing_leaves_no_local_file(self):
        dst = os.path.join(self.tmp, 'missing')
        self.assertGlusterErrno(errno.ENOENT, self.vol.copy_out,
                                self.name('missing'), dst)
        self.assertFalse(os.path.exists(dst))
        self.assertGlusterErrno(errno.ENOENT, self.vol.read_file,
                                self.name('missing2'))

    # --- names --------------------------------------------------------------

    def test_unlink_then_not_exists(self):
        n = self.name('gone')
        self.vol.write_file(n, b'x')
        self.assertTrue(self.vol.exists(n))
        self.assertTrue(self.vol.exists(n.lstrip('/')))  # 'x' means '/x'
        self.vol.unlink(n)
        self.assertFalse(self.vol.exists(n))
        self.assertGlusterErrno(errno.ENOENT, self.vol.stat, n)
        self.assertGlusterErrno(errno.ENOENT, self.vol.unlink, n)
        self.assertFalse(self.vol.exists(n + '/below'))

    def test_chown(self):
        n = self.name('owned')
        self.vol.write_file(n, b'x', uid=0, gid=0)
        uid, gid = _qemu_uid_gid()
        self.vol.chown(n, uid, gid + 1)
        st = self.vol.stat(n)
        self.assertEqual((uid, gid + 1), (st.st_uid, st.st_gid))
        self.assertGlusterErrno(errno.ENOENT, self.vol.chown,
                                self.name('missing'), uid, gid)

    def test_link(self):
        a, b = self.name('linksrc'), self.name('linkdst')
        self.vol.write_file(a, b'shared inode')
        self.vol.link(a, b)
        sa, sb = self.vol.stat(a), self.vol.stat(b)
        self.assertEqual(sa.st_ino, sb.st_ino)
        self.assertEqual(2, sb.st_nlink)
        self.assertEqual(b'shared inode', self.vol.read_file(b))
        self.assertGlusterErrno(errno.EEXIST, self.vol.link, a, b)
        self.vol.unlink(a)
        self.assertEqual(b'shared inode', self.vol.read_file(b))
        self.assertEqual(1, self.vol.stat(b).st_nlink)
        self.assertGlusterErrno(errno.ENOENT, self.vol.link, a,
                                self.name('linkdst2'))

    def test_rename(self):
        a, b = self.name('old'), self.name('new')
        self.vol.write_file(a, b'moving')
        self.vol.rename(a, b)
        self.assertFalse(self.vol.exists(a))
        self.assertEqual(b'moving', self.vol.read_file(b))
        self.assertGlusterErrno(errno.ENOENT, self.vol.rename, a, b)
        # rename over an existing file replaces it (POSIX)
        self.vol.write_file(a, b'replacement')
        self.vol.rename(a, b)
        self.assertEqual(b'replacement', self.vol.read_file(b))

    def test_listdir(self):
        names = [self.name('ls%d' % i) for i in range(3)]
        for n in names:
            self.vol.write_file(n, b'')
        listed = self.vol.listdir('/')
        self.assertEqual(listed, self.vol.listdir())
        self.assertNotIn('.', listed)
        self.assertNotIn('..', listed)
        self.assertNotIn('.glusterfs', listed)
        self.assertEqual(sorted(n.lstrip('/') for n in names),
                         [n for n in listed if n.startswith(self.prefix)])
        self.assertGlusterErrno(errno.ENOENT, self.vol.listdir,
                                '/lstest-no-such-dir')
        self.assertGlusterErrno(errno.ENOTDIR, self.vol.listdir, names[0])

    def test_nul_byte_rejected(self):
        for func, args in [(self.vol.exists, ('a\0b',)),
                           (self.vol.write_file, ('a\0b', b'')),
                           (self.vol.rename, ('a', 'b\0')),
                           (self.vol.link, ('a\0', 'b'))]:
            self.assertRaises(ValueError, func, *args)

    def test_threads_share_one_volume(self):
        names = [self.name('thr%d' % i) for i in range(4)]
        errors = []

        def work(n):
            try:
                payload = n.encode() * 5000
                for _ in range(5):
                    self.vol.write_file(n, payload, exclusive=False)
                    if self.vol.read_file(n) != payload:
                        errors.append('%s read back wrong' % n)
                    self.vol.listdir()
            except Exception as exc:  # pragma: no cover
                errors.append(repr(exc))

        threads = [threading.Thread(target=work, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual([], errors)

    # --- interop with qemu-img ----------------------------------------------

    def test_qcow2_overlay_keeps_relative_backing_name(self):
        ov_local = os.path.join(self.tmp, 'ov.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-u',
                        '-b', 'base.qcow2', '-F', 'qcow2', ov_local, '16M'],
                       check=True)
        n = self.name('ov.qcow2')
        self.vol.copy_in(ov_local, n)
        back = os.path.join(self.tmp, 'back.qcow2')
        self.vol.copy_out(n, back)
        with open(ov_local, 'rb') as f1, open(back, 'rb') as f2:
            self.assertEqual(f1.read(), f2.read())
        out = subprocess.run(
            ['qemu-img', 'info', '-U', '--output=json', back],
            check=True, stdout=subprocess.PIPE).stdout
        import json
        info = json.loads(out)
        self.assertEqual('qcow2', info['format'])
        self.assertEqual(16 * MiB, info['virtual-size'])
        self.assertEqual('base.qcow2', info['backing-filename'])
        self.assertEqual('qcow2', info['backing-filename-format'])
