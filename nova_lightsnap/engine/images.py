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

"""Image files on local disk or in a gluster volume, and qemu-img.

Every overlay is created by us, beside its parent, with a relative backing
name (as Cinder and vdsm require), so that chains survive a different mount
point. qemu-img would overwrite an existing file, so a new image is made
under a temporary name and linked into place, which fails if the name is
taken.
"""

import contextlib
import errno
import functools
import json
import logging
import os
import pwd
import re
import struct
import subprocess
import tempfile

from nova_lightsnap.engine import errors

LOG = logging.getLogger(__name__)

QEMU_USER = 'libvirt-qemu'


def _qemu_ids():
    try:
        entry = pwd.getpwnam(QEMU_USER)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return None, None


def qemu_img(*args, progress=None, crash_retries=0):
    """Run qemu-img; ``progress`` gets percentages when ``-p`` is passed.

    ``crash_retries``: how often to run it again when it dies by a signal,
    for commands that are safe to repeat (reads, a commit that keeps its
    top image).
    """
    cmd = ['qemu-img'] + [str(a) for a in args]
    LOG.debug('running %s', ' '.join(cmd))
    returncode, out, err = _run(cmd, progress)
    while returncode < 0 and crash_retries > 0:
        # libgfapi's client teardown can abort the process (a mutex
        # assertion or a crash in glfs_fini, seen on a loaded host and
        # with glusterfs 11) after the work was complete.
        LOG.warning('qemu-img %s died by signal %d; running it again',
                    args[0], -returncode)
        crash_retries -= 1
        returncode, out, err = _run(cmd, progress)
    if returncode < 0:
        raise errors.LightSnapError('qemu-img %s died by signal %d: %s' % (
            args[0], -returncode, (err or out).strip()))
    if returncode != 0:
        raise errors.LightSnapError('qemu-img %s failed: %s' % (
            args[0], (err or out).strip()))
    return out


def _run(cmd, progress):
    if progress is None:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        return proc.returncode, proc.stdout, proc.stderr
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    buf = ''
    while True:
        char = proc.stdout.read(1)
        if not char:
            break
        if char in '\r\n':
            match = re.search(r'\(([\d.]+)/100%\)', buf)
            if match:
                progress(float(match.group(1)))
            buf = ''
        else:
            buf += char
    err = proc.stderr.read()
    proc.wait()
    return proc.returncode, '', err


# What libgfapi says when its connection to a brick is gone or stale.
_CONNECTION_ERRORS = frozenset((errno.ENOTCONN, errno.EIO, errno.ENOTDIR,
                                errno.ESTALE, errno.EBADF,
                                errno.ECONNREFUSED, errno.ETIMEDOUT))


def _forget_broken_connection(ref, exc):
    if ref.kind == 'gluster' and exc.errno in _CONNECTION_ERRORS:
        from nova_lightsnap.gluster import gfapi
        gfapi.forget_cached(ref.host, ref.volume, ref.port)


def _clear_errors(verb):
    """OSError (a full disk, a gluster brick down) as the engine's error."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(ref, *args, **kwargs):
            try:
                return func(ref, *args, **kwargs)
            except OSError as exc:
                _forget_broken_connection(ref, exc)
                where = ('the gluster volume %s on %s' % (ref.volume, ref.host)
                         if ref.kind == 'gluster' else ref.dirname)
                raise errors.LightSnapError(
                    'cannot %s %s: %s; check %s and retry'
                    % (verb, ref.url, exc.strerror or exc, where)) from None
        return wrapper
    return decorate


def _gluster_volume(ref):
    from nova_lightsnap.gluster import gfapi
    return gfapi.connect_cached(ref.host, ref.volume, ref.port)


def _volume_path(ref):
    return '/' + ref.path


@_clear_errors('look up')
def exists(ref):
    if ref.kind == 'file':
        return os.path.lexists(ref.path)
    return _gluster_volume(ref).exists(_volume_path(ref))


def allocated(ref):
    """Bytes the image holds: what merging it away has to copy."""
    try:
        if ref.kind == 'file':
            return os.stat(ref.path).st_blocks * 512
        return _gluster_volume(ref).stat(_volume_path(ref)).st_size
    except OSError:
        return 0


@_clear_errors('remove')
def remove(ref):
    LOG.info('removing %s', ref.url)
    try:
        if ref.kind == 'file':
            os.unlink(ref.path)
        else:
            _gluster_volume(ref).unlink(_volume_path(ref))
    except OSError as exc:
        # gfapi's errors are OSError with errno ENOENT, never the subclass.
        if exc.errno != errno.ENOENT:
            raise


def give_owner(ref, owner):
    """Whether the gluster image ``ref`` belongs to ``owner`` (uid, gid),
    chowned through our own libgfapi connection when it did not.

    Done before libvirt is told to leave the image's owner alone: libvirt
    would chown it itself, each time through a libgfapi client of its own
    and that client's ~10 s teardown. False, with the reason logged, when
    it cannot be done here (no permission, the volume unreachable): then
    libvirt labels the image as it always did.
    """
    path = _volume_path(ref)
    try:
        volume = _gluster_volume(ref)
        st = volume.stat(path)
        if (st.st_uid, st.st_gid) != tuple(owner):
            volume.chown(path, *owner)
    except OSError as exc:
        _forget_broken_connection(ref, exc)
        LOG.info('leaving the owner of %s to libvirt: %s', ref.url,
                 exc.strerror or exc)
        return False
    return True


@_clear_errors('create')
def create_overlay(ref, backing, backing_format, capacity, owner=None):
    """A new empty qcow2 at ``ref`` on top of the sibling ``backing``,
    owned by ``owner`` (uid, gid), by default QEMU's user."""
    if exists(ref):
        raise errors.LightSnapError(
            'refusing to overwrite existing image %s' % ref.url)
    uid, gid = owner or _qemu_ids()
    with tempfile.TemporaryDirectory(prefix='lightsnap-') as tmp:
        if ref.kind == 'file':
            staging = '%s.partial-%d' % (ref.path, os.getpid())
        else:
            staging = os.path.join(tmp, 'overlay.qcow2')
        # -u: the backing file is named, not opened, so a relative name that
        # only resolves beside the final location is fine (and gluster
        # needs no connection from qemu-img).
        _private(staging)
        qemu_img('create', '-q', '-f', 'qcow2', '-F', backing_format,
                 '-b', backing, '-u', staging, capacity)
        if ref.kind == 'gluster':
            from nova_lightsnap.gluster import gfapi
            # QEMU's gluster driver fails on images whose size is not a
            # multiple of 512 ("Could not read L1 table").
            _gluster_volume(ref).copy_in(staging, _volume_path(ref),
                                         mode=0o660, uid=uid, gid=gid,
                                         pad_to=gfapi.QEMU_GLUSTER_ALIGN)
            return
        try:
            if uid is not None:
                os.chown(staging, uid, gid)
            os.chmod(staging, 0o660)
            os.link(staging, ref.path)
        except FileExistsError:
            raise errors.LightSnapError(
                'refusing to overwrite existing image %s' % ref.url) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staging)


def info(ref, backing_chain=False):
    args = ['info', '--output=json', '-U']
    if backing_chain:
        args.append('--backing-chain')
    return json.loads(qemu_img(*(args + [ref.url]), crash_retries=1))


@_clear_errors('read the size of')
def capacity(ref):
    """Virtual size of an image no domain is using right now."""
    if ref.kind == 'file':
        return int(info(ref)['virtual-size'])
    # Read the qcow2 header through our cached libgfapi connection: a
    # qemu-img run would pay libgfapi's ~10 s teardown.
    vol = _gluster_volume(ref)
    header = vol.read_file(_volume_path(ref), 0, 32)
    if header[:4] == b'QFI\xfb':
        return struct.unpack('>Q', header[24:32])[0]
    return vol.stat(_volume_path(ref)).st_size


def commit(top, base, progress=None):
    """Fold ``top`` and the layers between it and ``base`` into ``base``.

    Only for images no running QEMU has open. ``-d`` leaves ``top`` as it
    is: it is removed afterwards, and until then it stays valid.
    """
    # Repeatable: the data of top goes into base again, top is untouched.
    qemu_img('commit', '-p', '-d', '-f', 'qcow2', '-b', base.url, top.url,
             progress=progress or (lambda pct: None), crash_retries=1)


def rebase_unsafe(ref, backing, backing_format):
    """Point ``ref`` at the sibling ``backing`` whose content is identical."""
    qemu_img('rebase', '-q', '-u', '-f', 'qcow2', '-F', backing_format,
             '-b', backing, ref.url)


def rebase_safe(path, backing, backing_format):
    """Point the local qcow2 ``path`` at ``backing`` (a name relative to
    its directory; None: no backing), keeping its content: qemu-img copies
    in whatever the two backings differ in. Every moment of it reads the
    same, so a rebase cut off is simply done again."""
    args = ['rebase', '-q', '-f', 'qcow2']
    if backing:
        args += ['-F', backing_format]
    qemu_img(*(args + ['-b', backing or '', path]))


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private(path):
    """A new empty file at ``path`` that only its owner can read or write,
    for qemu-img to write an image into: it keeps the mode of a file it
    writes over, and would make a new one readable by everyone (libvirt
    had the same defect with overlays of inactive domains until 11.10).
    A file left there is unlinked, never truncated: a staging file that a
    killed process left may be a second name of a live image."""
    _drop(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _drop(*paths):
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _copy_on(staging, source, source_format, backing, backing_format,
             size):
    """``staging``: a new qcow2 reading as the local image ``source``, on
    ``backing`` (relative to its directory) instead, compared with
    ``source`` before it is used: the copy is what lets the original go."""
    _private(staging)
    qemu_img('create', '-q', '-f', 'qcow2', '-F', source_format, '-b',
             os.path.relpath(source, os.path.dirname(staging)), '-u',
             staging, size)
    rebase_safe(staging, backing, backing_format)
    try:
        qemu_img('compare', '-q', '-U', '-f', 'qcow2', '-F', source_format,
                 staging, source)
    except errors.LightSnapError as exc:
        raise errors.LightSnapError(
            'the copy of %s does not read as the original (%s); nothing '
            'was changed' % (source, exc)) from None
    _fsync(staging)


@_clear_errors('keep')
def keep(dest, layer, layer_format, backing, backing_format):
    """The kept file of a stored snapshot: a new local qcow2 at ``dest``
    that reads exactly as ``layer`` and its chain, on ``backing`` (a name
    relative to dest's directory, or None) instead of the live chain.

    Nothing it shares with the live chain can be written by a merge: it is
    a file of its own. It appears under its name only once complete.
    """
    os.makedirs(dest.dirname, mode=0o755, exist_ok=True)
    staging = staging_path(dest)
    _drop(dest.path)  # left by an earlier store that was not recorded
    _copy_on(staging, layer.path, layer_format, backing, backing_format,
             capacity(layer))
    os.rename(staging, dest.path)
    _fsync(dest.dirname)


def staging_path(ref):
    """Where an image made from a kept file is built before it appears
    under its own name."""
    return ref.path + '.partial'


@_clear_errors('create')
def overlay_from_kept(ref, kept, backing, backing_format):
    """A new overlay at the local ``ref`` holding the content of the kept
    file ``kept``, on the sibling ``backing`` (the root image, which must
    not change meanwhile): where a revert to a stored snapshot runs."""
    if exists(ref):
        raise errors.LightSnapError(
            'refusing to overwrite existing image %s' % ref.url)
    staging = staging_path(ref)
    try:
        _copy_on(staging, kept.path, 'qcow2', backing, backing_format,
                 capacity(kept))
        uid, gid = _qemu_ids()
        if uid is not None:
            os.chown(staging, uid, gid)
        os.chmod(staging, 0o660)
        try:
            os.link(staging, ref.path)
        except FileExistsError:
            raise errors.LightSnapError(
                'refusing to overwrite existing image %s' % ref.url) from None
    finally:
        _drop(staging)


def export(src, dest, progress=None, fmt='qcow2'):
    """A standalone image of ``src`` and its chain at local path ``dest``."""
    if os.path.lexists(dest):
        raise errors.InvalidInput('%s exists; choose a new file name' % dest)
    partial = '%s.partial-%d' % (dest, os.getpid())
    try:
        try:
            _private(partial)
        except OSError as exc:
            raise errors.InvalidInput('cannot write %s: %s; choose a '
                                      'writable place' % (
                                          dest, exc.strerror or exc)) from None
        # -U: the layer is read-only by construction and QEMU holds a lock.
        qemu_img('convert', '-p', '-U', '-O', fmt, src.url, partial,
                 progress=progress or (lambda pct: None))
        os.rename(partial, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
