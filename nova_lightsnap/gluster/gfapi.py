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

"""A small ctypes wrapper around libgfapi (GlusterFS's client library).

Standard library only; no Nova imports.  Linux/glibc, 64-bit (x86_64 and
aarch64 ``struct stat`` layouts are known).

Signatures follow ``/usr/include/glusterfs/api/glfs.h`` of glusterfs 10.3
(Debian's libglusterfs-dev).  Several calls exist in two symbol versions in
``libgfapi.so.0``; gluster 6.0 added ``prestat``/``poststat`` arguments to
``glfs_pwrite``, ``glfs_pread``, ``glfs_fsync`` and ``glfs_ftruncate``.
Every function is therefore bound with ``dlvsym`` at exactly the version
whose prototype is declared below, so a wrong prototype cannot be picked up.

Facts worth knowing:

* ``glfs_init`` costs a fraction of a second on loopback, but ``glfs_fini``
  takes about ten seconds here.  Use :func:`connect_cached` to keep one
  connection per volume for the process lifetime; at exit its atexit hook
  does *not* call ``glfs_fini`` unless ``LIGHTSNAP_GFAPI_FINI=1`` is set in
  the environment.  Skipping fini is safe for data written through this
  module because every write path ends with ``glfs_fsync`` and
  ``glfs_close`` before it returns.
* A connected ``Volume`` owns threads inside libgfapi: do not ``fork()``
  and keep using it in the child.
* Names are paths inside the volume; ``'x'`` is taken as ``'/x'``.  Apart
  from rejecting NUL bytes, names are not validated here.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import errno as errno_mod
import os
import platform
import threading

__all__ = [
    'GlusterError',
    'Volume',
    'connect_cached',
    'close_cached',
    'QEMU_GLUSTER_ALIGN',
    'LOG_NONE', 'LOG_CRITICAL', 'LOG_ERROR', 'LOG_WARNING', 'LOG_INFO',
    'LOG_DEBUG', 'LOG_TRACE',
]

LIBGFAPI = 'libgfapi.so.0'

#: Environment variable: set to 1 to make the atexit hook glfs_fini() the
#: cached connections (clean, but ~10 s per connection).
FINI_AT_EXIT_ENV = 'LIGHTSNAP_GFAPI_FINI'

# gf_loglevel_t (libglusterfs/src/glusterfs/logging.h)
LOG_NONE = 0
LOG_EMERG = 1
LOG_ALERT = 2
LOG_CRITICAL = 3
LOG_ERROR = 4
LOG_WARNING = 5
LOG_NOTICE = 6
LOG_INFO = 7
LOG_DEBUG = 8
LOG_TRACE = 9

_LOG_LEVELS = {
    'none': LOG_NONE, 'emerg': LOG_EMERG, 'alert': LOG_ALERT,
    'critical': LOG_CRITICAL, 'error': LOG_ERROR, 'warning': LOG_WARNING,
    'notice': LOG_NOTICE, 'info': LOG_INFO, 'debug': LOG_DEBUG,
    'trace': LOG_TRACE,
}

CHUNK_SIZE = 1024 * 1024

#: QEMU 7.2's gluster driver fails partial reads with EIO.  A qcow2 image
#: made locally by ``qemu-img create`` is not a multiple of 512 bytes long
#: (e.g. 196616), and QEMU opening it over gluster fails with "Could not
#: read L1 table: Input/output error".  Padding it with zeros to a multiple
#: of 512 (``copy_in(..., pad_to=QEMU_GLUSTER_ALIGN)``) makes it work;
#: trailing zeros after the last qcow2 cluster are harmless.
QEMU_GLUSTER_ALIGN = 512


class GlusterError(OSError):
    """A libgfapi call failed; ``errno`` holds the error number."""


# --- C types -----------------------------------------------------------------

_c_off_t = ctypes.c_int64      # gfapi is built with _FILE_OFFSET_BITS=64
_c_mode_t = ctypes.c_uint32
_c_uid_t = ctypes.c_uint32
_c_gid_t = ctypes.c_uint32
_c_ssize_t = ctypes.c_ssize_t
_c_size_t = ctypes.c_size_t
_glfs_p = ctypes.c_void_p      # glfs_t *
_glfd_p = ctypes.c_void_p      # glfs_fd_t *
_glfs_stat_p = ctypes.c_void_p  # struct glfs_stat * (we always pass NULL)


class _Timespec(ctypes.Structure):
    _fields_ = [('tv_sec', ctypes.c_int64), ('tv_nsec', ctypes.c_long)]


_MACHINE = platform.machine()
if _MACHINE in ('x86_64', 'amd64'):
    class _CStat(ctypes.Structure):
        # glibc sysdeps/unix/sysv/linux/x86/bits/struct_stat.h, x86_64
        _fields_ = [
            ('st_dev', ctypes.c_uint64),
            ('st_ino', ctypes.c_uint64),
            ('st_nlink', ctypes.c_uint64),
            ('st_mode', ctypes.c_uint32),
            ('st_uid', ctypes.c_uint32),
            ('st_gid', ctypes.c_uint32),
            ('__pad0', ctypes.c_int32),
            ('st_rdev', ctypes.c_uint64),
            ('st_size', ctypes.c_int64),
            ('st_blksize', ctypes.c_int64),
            ('st_blocks', ctypes.c_int64),
            ('st_atim', _Timespec),
            ('st_mtim', _Timespec),
            ('st_ctim', _Timespec),
            ('__reserved', ctypes.c_int64 * 3),
        ]
    assert ctypes.sizeof(_CStat) == 144
elif _MACHINE in ('aarch64', 'arm64', 'riscv64'):
    class _CStat(ctypes.Structure):
        # glibc generic bits/struct_stat.h (64-bit)
        _fields_ = [
            ('st_dev', ctypes.c_uint64),
            ('st_ino', ctypes.c_uint64),
            ('st_mode', ctypes.c_uint32),
            ('st_nlink', ctypes.c_uint32),
            ('st_uid', ctypes.c_uint32),
            ('st_gid', ctypes.c_uint32),
            ('st_rdev', ctypes.c_uint64),
            ('__pad1', ctypes.c_uint64),
            ('st_size', ctypes.c_int64),
            ('st_blksize', ctypes.c_int32),
            ('__pad2', ctypes.c_int32),
            ('st_blocks', ctypes.c_int64),
            ('st_atim', _Timespec),
            ('st_mtim', _Timespec),
            ('st_ctim', _Timespec),
            ('__reserved', ctypes.c_int32 * 2),
        ]
    assert ctypes.sizeof(_CStat) == 128
else:  # pragma: no cover
    _CStat = None


class _CDirent(ctypes.Structure):
    # glibc struct dirent on 64-bit Linux (== struct dirent64)
    _fields_ = [
        ('d_ino', ctypes.c_uint64),
        ('d_off', ctypes.c_int64),
        ('d_reclen', ctypes.c_uint16),
        ('d_type', ctypes.c_uint8),
        ('d_name', ctypes.c_char * 256),
    ]


class _DirentBuf(ctypes.Union):
    # glfs.h: "512 byte buffer (for @dirent) is sufficient"
    _fields_ = [('dirent', _CDirent), ('_pad', ctypes.c_char * 512)]


_stat_p = ctypes.POINTER(_CStat) if _CStat is not None else ctypes.c_void_p
_dirent_p = ctypes.POINTER(_CDirent)

# name: (symbol version, restype, argtypes) -- exactly as in glfs.h 10.3
_PROTOTYPES = {
    'glfs_new': ('GFAPI_3.4.0', _glfs_p, [ctypes.c_char_p]),
    'glfs_set_volfile_server': (
        'GFAPI_3.4.0', ctypes.c_int,
        [_glfs_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
    'glfs_set_logging': (
        'GFAPI_3.4.0', ctypes.c_int,
        [_glfs_p, ctypes.c_char_p, ctypes.c_int]),
    'glfs_init': ('GFAPI_3.4.0', ctypes.c_int, [_glfs_p]),
    'glfs_fini': ('GFAPI_3.4.0', ctypes.c_int, [_glfs_p]),
    'glfs_open': (
        'GFAPI_3.4.0', _glfd_p, [_glfs_p, ctypes.c_char_p, ctypes.c_int]),
    'glfs_creat': (
        'GFAPI_3.4.0', _glfd_p,
        [_glfs_p, ctypes.c_char_p, ctypes.c_int, _c_mode_t]),
    'glfs_close': ('GFAPI_3.4.0', ctypes.c_int, [_glfd_p]),
    # ssize_t glfs_pread(glfs_fd_t *fd, void *buf, size_t count,
    #                    off_t offset, int flags, struct glfs_stat *poststat)
    'glfs_pread': (
        'GFAPI_6.0', _c_ssize_t,
        [_glfd_p, ctypes.c_void_p, _c_size_t, _c_off_t, ctypes.c_int,
         _glfs_stat_p]),
    # ssize_t glfs_pwrite(glfs_fd_t *fd, const void *buf, size_t count,
    #                     off_t offset, int flags, struct glfs_stat *prestat,
    #                     struct glfs_stat *poststat)
    'glfs_pwrite': (
        'GFAPI_6.0', _c_ssize_t,
        [_glfd_p, ctypes.c_void_p, _c_size_t, _c_off_t, ctypes.c_int,
         _glfs_stat_p, _glfs_stat_p]),
    # int glfs_fsync(glfs_fd_t *fd, struct glfs_stat *prestat,
    #                struct glfs_stat *poststat)
    'glfs_fsync': (
        'GFAPI_6.0', ctypes.c_int, [_glfd_p, _glfs_stat_p, _glfs_stat_p]),
    'glfs_fchmod': ('GFAPI_3.4.0', ctypes.c_int, [_glfd_p, _c_mode_t]),
    'glfs_fchown': (
        'GFAPI_3.4.0', ctypes.c_int, [_glfd_p, _c_uid_t, _c_gid_t]),
    'glfs_chown': (
        'GFAPI_3.4.0', ctypes.c_int,
        [_glfs_p, ctypes.c_char_p, _c_uid_t, _c_gid_t]),
    'glfs_stat': (
        'GFAPI_3.4.0', ctypes.c_int, [_glfs_p, ctypes.c_char_p, _stat_p]),
    'glfs_unlink': ('GFAPI_3.4.0', ctypes.c_int, [_glfs_p, ctypes.c_char_p]),
    'glfs_rename': (
        'GFAPI_3.4.0', ctypes.c_int,
        [_glfs_p, ctypes.c_char_p, ctypes.c_char_p]),
    'glfs_link': (
        'GFAPI_3.4.0', ctypes.c_int,
        [_glfs_p, ctypes.c_char_p, ctypes.c_char_p]),
    'glfs_opendir': (
        'GFAPI_3.4.0', _glfd_p, [_glfs_p, ctypes.c_char_p]),
    'glfs_readdir_r': (
        'GFAPI_3.4.0', ctypes.c_int,
        [_glfd_p, _dirent_p, ctypes.POINTER(_dirent_p)]),
    'glfs_closedir': ('GFAPI_3.4.0', ctypes.c_int, [_glfd_p]),
}


class _Lib:
    """libgfapi, loaded on first use, each function bound at its version."""

    _lock = threading.Lock()
    _funcs = None

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._funcs is None:
                cls._funcs = cls._load()
            return cls._funcs

    @staticmethod
    def _load():
        if _CStat is None:
            raise GlusterError(errno_mod.ENOSYS,
                               'gfapi: unsupported machine %s' % _MACHINE)
        try:
            lib = ctypes.CDLL(LIBGFAPI, use_errno=True)
        except OSError as exc:
            raise GlusterError(
                errno_mod.ENOENT,
                'cannot load %s (install libgfapi0): %s' % (LIBGFAPI, exc))
        dlvsym = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
            dlvsym = libc.dlvsym
            dlvsym.restype = ctypes.c_void_p
            dlvsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.c_char_p]
        except (OSError, AttributeError):  # pragma: no cover (non-glibc)
            dlvsym = None
        funcs = {}
        for name, (version, restype, argtypes) in _PROTOTYPES.items():
            proto = ctypes.CFUNCTYPE(restype, *argtypes, use_errno=True)
            if dlvsym is not None:
                addr = dlvsym(lib._handle, name.encode(), version.encode())
                if not addr:
                    raise GlusterError(
                        errno_mod.ENOSYS,
                        '%s has no %s@%s' % (LIBGFAPI, name, version))
                funcs[name] = proto(addr)
            else:  # pragma: no cover
                # plain dlsym gives the default (newest) version, which is
                # the one declared above.
                funcs[name] = proto((name, lib))
        return funcs


def _path(name) -> bytes:
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if isinstance(name, str):
        b = os.fsencode(name)
    elif isinstance(name, (bytes, bytearray)):
        b = bytes(name)
    else:
        raise TypeError('gfapi: name must be str or bytes, not %s'
                        % type(name).__name__)
    if b'\0' in b:
        raise ValueError('gfapi: embedded NUL byte in name %r' % (name,))
    if not b.startswith(b'/'):
        b = b'/' + b
    return b


def _volname(volume) -> bytes:
    b = os.fsencode(volume)
    if not b or b'\0' in b or b'/' in b:
        raise ValueError('gfapi: bad volume name %r' % (volume,))
    return b


def _err(what, name=None, name2=None, err=None):
    if err is None:
        err = ctypes.get_errno() or errno_mod.EIO
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if isinstance(name2, bytes):
        name2 = os.fsdecode(name2)
    msg = '%s: %s' % (what, os.strerror(err))
    if name2 is not None:
        return GlusterError(err, msg, name, None, name2)
    return GlusterError(err, msg, name)


def _to_stat_result(st) -> os.stat_result:
    def ns(ts):
        return ts.tv_sec * 1000000000 + ts.tv_nsec

    atime_ns, mtime_ns, ctime_ns = ns(st.st_atim), ns(st.st_mtim), ns(
        st.st_ctim)
    seq = (st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid,
           st.st_gid, st.st_size, st.st_atim.tv_sec, st.st_mtim.tv_sec,
           st.st_ctim.tv_sec)
    extra = {
        'st_atime': atime_ns / 1e9, 'st_mtime': mtime_ns / 1e9,
        'st_ctime': ctime_ns / 1e9,
        'st_atime_ns': atime_ns, 'st_mtime_ns': mtime_ns,
        'st_ctime_ns': ctime_ns,
        'st_blksize': st.st_blksize, 'st_blocks': st.st_blocks,
        'st_rdev': st.st_rdev,
    }
    return os.stat_result(seq, extra)


class Volume:
    """One libgfapi connection ("virtual mount") to a gluster volume.

    All methods are serialised by a per-instance lock, so one Volume may be
    shared between threads.
    """

    def __init__(self, host, volume, port=24007, transport='tcp',
                 log_file='/dev/null', log_level=LOG_ERROR):
        self.host = host
        self.volume = volume
        self.port = int(port)
        self.transport = transport
        self.log_file = log_file
        if isinstance(log_level, str):
            log_level = _LOG_LEVELS[log_level.lower()]
        self.log_level = int(log_level)
        self._fs = None
        self._lock = threading.RLock()

    def __repr__(self):
        return '<gfapi.Volume %s://%s:%d/%s%s>' % (
            self.transport, self.host, self.port, self.volume,
            '' if self._fs else ' (not connected)')

    # --- connection --------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._fs is not None

    def connect(self):
        """glfs_new + glfs_set_volfile_server + glfs_set_logging + glfs_init.

        Returns self.  Raises GlusterError (errno set) on failure.
        """
        f = _Lib.get()
        with self._lock:
            if self._fs is not None:
                return self
            where = '%s:%d/%s' % (self.host, self.port, self.volume)
            fs = f['glfs_new'](_volname(self.volume))
            if not fs:
                raise _err('glfs_new(%s)' % where,
                           err=ctypes.get_errno() or errno_mod.ENOMEM)
            try:
                if f['glfs_set_volfile_server'](
                        fs, self.transport.encode(), self.host.encode(),
                        self.port) != 0:
                    raise _err('glfs_set_volfile_server(%s)' % where)
                log_file = (None if self.log_file is None
                            else os.fsencode(self.log_file))
                if f['glfs_set_logging'](fs, log_file, self.log_level) != 0:
                    raise _err('glfs_set_logging(%s)' % where)
                if f['glfs_init'](fs) != 0:
                    raise _err('glfs_init(%s)' % where)
            except BaseException:
                # A failed glfs_init still has to be fini'd to free it.
                f['glfs_fini'](fs)
                raise
            self._fs = fs
            return self

    def close(self):
        """glfs_fini (slow: ~10 s on this setup).  Idempotent."""
        with self._lock:
            fs, self._fs = self._fs, None
            if fs is not None:
                _Lib.get()['glfs_fini'](fs)

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()
        return False

    def _need(self):
        if self._fs is None:
            raise GlusterError(errno_mod.ENOTCONN,
                               'gfapi: %r is not connected' % (self,))
        return _Lib.get(), self._fs

    # --- metadata ----------------------------------------------------------

    def stat(self, name) -> os.stat_result:
        p = _path(name)
        with self._lock:
            f, fs = self._need()
            st = _CStat()
            if f['glfs_stat'](fs, p, ctypes.byref(st)) != 0:
                raise _err('glfs_stat', p)
            return _to_stat_result(st)

    def exists(self, name) -> bool:
        try:
            self.stat(name)
        except GlusterError as exc:
            if exc.errno in (errno_mod.ENOENT, errno_mod.ENOTDIR):
                return False
            raise
        return True

    def listdir(self, dirname='/') -> list:
        """Names in a directory, without '.' and '..', sorted."""
        p = _path(dirname)
        names = []
        with self._lock:
            f, fs = self._need()
            fd = f['glfs_opendir'](fs, p)
            if not fd:
                raise _err('glfs_opendir', p)
            try:
                buf = _DirentBuf()
                result = _dirent_p()
                while True:
                    ret = f['glfs_readdir_r'](
                        fd, ctypes.cast(ctypes.byref(buf), _dirent_p),
                        ctypes.byref(result))
                    if ret != 0:
                        # readdir_r returns the error number itself
                        raise _err('glfs_readdir_r', p,
                                   err=ret if ret > 0 else None)
                    if not result:
                        break
                    n = buf.dirent.d_name
                    if n not in (b'.', b'..'):
                        names.append(os.fsdecode(n))
            finally:
                f['glfs_closedir'](fd)
        names.sort()
        return names

    def unlink(self, name):
        p = _path(name)
        with self._lock:
            f, fs = self._need()
            if f['glfs_unlink'](fs, p) != 0:
                raise _err('glfs_unlink', p)

    def chown(self, name, uid, gid):
        p = _path(name)
        with self._lock:
            f, fs = self._need()
            if f['glfs_chown'](fs, p, uid, gid) != 0:
                raise _err('glfs_chown', p)

    def rename(self, old, new):
        po, pn = _path(old), _path(new)
        with self._lock:
            f, fs = self._need()
            if f['glfs_rename'](fs, po, pn) != 0:
                raise _err('glfs_rename', po, pn)

    def link(self, src, dst):
        """Hard link dst -> src (fails with EEXIST if dst exists)."""
        ps, pd = _path(src), _path(dst)
        with self._lock:
            f, fs = self._need()
            if f['glfs_link'](fs, ps, pd) != 0:
                raise _err('glfs_link', ps, pd)

    # --- data --------------------------------------------------------------

    def _create(self, f, fs, p, mode, uid, gid, exclusive):
        flags = os.O_WRONLY | os.O_CREAT | (
            os.O_EXCL if exclusive else os.O_TRUNC)
        fd = f['glfs_creat'](fs, p, flags, mode & 0o7777)
        if not fd:
            raise _err('glfs_creat', p)
        try:
            # chown before chmod: chown may clear set-id bits.
            if uid is not None or gid is not None:
                if f['glfs_fchown'](
                        fd, 0xFFFFFFFF if uid is None else uid,
                        0xFFFFFFFF if gid is None else gid) != 0:
                    raise _err('glfs_fchown', p)
            # explicit chmod: glfs_creat's mode is subject to a umask
            if f['glfs_fchmod'](fd, mode & 0o7777) != 0:
                raise _err('glfs_fchmod', p)
        except BaseException:
            f['glfs_close'](fd)
            raise
        return fd

    @staticmethod
    def _pwrite_all(f, fd, p, data, offset):
        n = len(data)
        done = 0
        buf = ctypes.c_char_p(data)
        base = ctypes.cast(buf, ctypes.c_void_p).value
        while done < n:
            ret = f['glfs_pwrite'](fd, base + done, n - done, offset + done,
                                   0, None, None)
            if ret < 0:
                raise _err('glfs_pwrite', p)
            if ret == 0:
                raise _err('glfs_pwrite', p, err=errno_mod.EIO)
            done += ret
        return done

    def _finish_write(self, f, fd, p, ok):
        """fsync (data must not sit in write-behind) and close."""
        try:
            if ok and f['glfs_fsync'](fd, None, None) != 0:
                raise _err('glfs_fsync', p)
        finally:
            if f['glfs_close'](fd) != 0 and ok:
                raise _err('glfs_close', p)

    def write_file(self, name, data, mode=0o666, uid=None, gid=None,
                   exclusive=True):
        """Create NAME holding DATA (bytes-like).

        exclusive=True: O_CREAT|O_EXCL, fails with EEXIST if NAME exists.
        exclusive=False: O_CREAT|O_TRUNC.  The file is chown'd to uid/gid
        (if given) and chmod'ed to MODE explicitly; data is fsync'ed.  If
        writing fails, a file this call created is removed again.
        """
        p = _path(name)
        data = bytes(memoryview(data).cast('B'))
        with self._lock:
            f, fs = self._need()
            fd = self._create(f, fs, p, mode, uid, gid, exclusive)
            ok = False
            try:
                self._pwrite_all(f, fd, p, data, 0)
                ok = True
            finally:
                try:
                    self._finish_write(f, fd, p, ok)
                except BaseException:
                    ok = False
                    raise
                finally:
                    if not ok and exclusive:
                        f['glfs_unlink'](fs, p)

    def read_file(self, name, offset=0, length=None) -> bytes:
        """Read LENGTH bytes (default: to EOF) from OFFSET."""
        p = _path(name)
        if offset < 0 or (length is not None and length < 0):
            raise ValueError('gfapi: negative offset or length')
        with self._lock:
            f, fs = self._need()
            fd = f['glfs_open'](fs, p, os.O_RDONLY)
            if not fd:
                raise _err('glfs_open', p)
            try:
                return b''.join(self._iter_read(f, fd, p, offset, length))
            finally:
                f['glfs_close'](fd)

    @staticmethod
    def _iter_read(f, fd, p, offset, length):
        buf = ctypes.create_string_buffer(CHUNK_SIZE)
        pos = offset
        left = length
        while left is None or left > 0:
            want = CHUNK_SIZE if left is None else min(CHUNK_SIZE, left)
            ret = f['glfs_pread'](fd, buf, want, pos, 0, None)
            if ret < 0:
                raise _err('glfs_pread', p)
            if ret == 0:
                break
            yield buf.raw[:ret]
            pos += ret
            if left is not None:
                left -= ret

    def copy_out(self, name, local_path):
        """Stream NAME to LOCAL_PATH (created or truncated), in chunks.

        Returns the number of bytes copied.  A partial local file is
        removed on failure.
        """
        p = _path(name)
        with self._lock:
            f, fs = self._need()
            fd = f['glfs_open'](fs, p, os.O_RDONLY)
            if not fd:
                raise _err('glfs_open', p)
            total = 0
            try:
                with open(local_path, 'wb') as out:
                    try:
                        for chunk in self._iter_read(f, fd, p, 0, None):
                            out.write(chunk)
                            total += len(chunk)
                    except BaseException:
                        out.close()
                        try:
                            os.unlink(local_path)
                        except OSError:
                            pass
                        raise
            finally:
                f['glfs_close'](fd)
            return total

    def copy_in(self, local_path, name, mode=0o666, uid=None, gid=None,
                exclusive=True, pad_to=None):
        """Stream LOCAL_PATH into a new file NAME, in chunks.

        Same create/chmod/chown/fsync semantics as write_file (exclusive by
        default).  pad_to=N appends zero bytes up to a multiple of N (see
        QEMU_GLUSTER_ALIGN).  Returns the size of NAME.
        """
        p = _path(name)
        if pad_to is not None and pad_to <= 0:
            raise ValueError('gfapi: pad_to must be positive')
        with open(local_path, 'rb') as src, self._lock:
            f, fs = self._need()
            fd = self._create(f, fs, p, mode, uid, gid, exclusive)
            ok = False
            total = 0
            try:
                while True:
                    chunk = src.read(CHUNK_SIZE)
                    if not chunk:
                        break
                    total += self._pwrite_all(f, fd, p, chunk, total)
                if pad_to and total % pad_to:
                    total += self._pwrite_all(
                        f, fd, p, bytes(pad_to - total % pad_to), total)
                ok = True
            finally:
                try:
                    self._finish_write(f, fd, p, ok)
                except BaseException:
                    ok = False
                    raise
                finally:
                    if not ok and exclusive:
                        f['glfs_unlink'](fs, p)
            return total


# --- process-wide connection cache ------------------------------------------

_cache_lock = threading.Lock()
_cache = {}


def connect_cached(host, volume, port=24007) -> Volume:
    """A connected Volume for (host, port, volume), kept for the process.

    glfs_fini costs ~10 s, so connections are reused rather than closed.
    If a cached Volume was closed by someone, a new one is made.
    """
    key = (host, int(port), volume)
    with _cache_lock:
        vol = _cache.get(key)
        if vol is not None and vol.connected:
            return vol
        vol = Volume(host, volume, port=port)
        vol.connect()
        _cache[key] = vol
        return vol


def forget_cached(host, volume, port=24007):
    """Drop a cached connection that failed (a brick that went away and
    came back on another port): the next call connects afresh. The old
    handle is not finalized (glfs_fini could hang on a dead brick)."""
    with _cache_lock:
        _cache.pop((host, int(port), volume), None)


def close_cached():
    """glfs_fini every cached connection now (slow) and forget them."""
    with _cache_lock:
        vols = list(_cache.values())
        _cache.clear()
    for vol in vols:
        vol.close()


def _atexit():
    if os.environ.get(FINI_AT_EXIT_ENV, '').lower() in ('1', 'true', 'yes'):
        close_cached()
    # Otherwise let the process exit without glfs_fini: all writes made
    # through this module were fsync'ed and closed already.


atexit.register(_atexit)
