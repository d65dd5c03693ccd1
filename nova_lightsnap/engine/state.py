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

"""The on-host metadata of one domain: its layers, snapshots and journal.

One JSON file beside the disks, replaced atomically (write, fsync, rename),
so a killed process leaves either the old or the new version. The journal
(the operation in flight) and the garbage list (files to remove) live in the
same file, which keeps every recovery decision to one consistent read.
"""

import contextlib
import dataclasses
import datetime
import errno
import fcntl
import json
import os
import time

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import journal as journal_mod

FORMAT_VERSION = 1


@dataclasses.dataclass
class DiskState:
    target: str
    root: ImageRef  # the image found at adoption; never merged away
    capacity: int
    layers: dict  # basename -> parent basename (None for the root)
    formats: dict  # basename -> format
    active: str

    def ref(self, basename):
        return self.root.sibling(basename)

    def children(self, basename):
        return sorted(name for name, parent in self.layers.items()
                      if parent == basename)

    def path_to_root(self, basename):
        """``basename`` and its ancestors, top first."""
        out = []
        while basename is not None:
            out.append(basename)
            basename = self.layers[basename]
        return out

    def to_dict(self):
        data = dataclasses.asdict(self)
        data['root'] = self.root.to_dict()
        return data

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data['root'] = ImageRef.from_dict(data['root'])
        return cls(**data)


@dataclasses.dataclass
class Snapshot:
    name: str
    created_at: str
    layers: dict  # target -> basename of the read-only layer
    quiesced: bool = False
    set: str | None = None
    # Deleted while the domain's store was on: kept (and revertible) until
    # purged.
    stored: bool = False
    # A stored snapshot's local disks: target -> its kept file, a name
    # relative to the disk's directory in the store folder. The kept file
    # holds the snapshot's content on its own (backed by another kept file
    # or by what the root image is backed by), so the layer leaves the live
    # chain. A stored target not in here still has its layer in the live
    # chain (gluster disks; a keep not done yet).
    kept: dict = dataclasses.field(default_factory=dict)

    @property
    def travels(self):
        """Stored with every disk kept: nothing of it is in the live
        chain, so it survives a commit-all for a move."""
        return self.stored and set(self.kept) == set(self.layers)


@dataclasses.dataclass
class DomainState:
    uuid: str
    name: str
    next_index: int
    disks: dict  # target -> DiskState
    snapshots: list  # [Snapshot], oldest first
    journal: object = None  # journal.Create, Revert, Merge or None
    garbage: list = dataclasses.field(default_factory=list)  # [ImageRef]
    # The per-instance flags of the original light-snapshot system. A
    # domain adopted by the lightsnap command is enabled; Nova instances
    # opt in.
    enabled: bool = True
    store: bool = False
    committed: bool = False  # folded back for a move; spawn starts over
    root_index: int = 0  # the last index committed into the root image

    def snapshot(self, name):
        for snap in self.snapshots:
            if snap.name == name:
                return snap
        raise errors.NotFound('domain %s has no snapshot %r (see '
                              '"lightsnap list %s")'
                              % (self.name, name, self.name))

    def has_snapshot(self, name):
        return any(s.name == name for s in self.snapshots)

    def named_layers(self, target):
        """The live layers of ``target`` that carry a snapshot name."""
        return {s.layers[target] for s in self.snapshots
                if target in s.layers and target not in s.kept}

    def layer_ref(self, snap, target):
        """The image that holds ``snap``'s content of disk ``target``."""
        dstate = self.disks[target]
        return dstate.ref(snap.kept.get(target) or snap.layers[target])

    def to_dict(self):
        return {
            'format': FORMAT_VERSION,
            'uuid': self.uuid,
            'name': self.name,
            'next_index': self.next_index,
            'disks': {t: d.to_dict() for t, d in self.disks.items()},
            'snapshots': [dataclasses.asdict(s) for s in self.snapshots],
            'journal': journal_mod.to_dict(self.journal),
            'garbage': [g.to_dict() for g in self.garbage],
            'enabled': self.enabled,
            'store': self.store,
            'committed': self.committed,
            'root_index': self.root_index,
        }

    @classmethod
    def from_dict(cls, data):
        if data.get('format') != FORMAT_VERSION:
            raise errors.Unsupported('metadata format %r is not supported'
                                     % data.get('format'))
        return cls(
            uuid=data['uuid'], name=data['name'],
            next_index=data['next_index'],
            disks={t: DiskState.from_dict(d)
                   for t, d in data['disks'].items()},
            snapshots=[Snapshot(**s) for s in data['snapshots']],
            journal=journal_mod.from_dict(data.get('journal')),
            garbage=[ImageRef.from_dict(g) for g in data.get('garbage', [])],
            enabled=data.get('enabled', True),
            store=data.get('store', False),
            committed=data.get('committed', False),
            root_index=data.get('root_index', 0))


def _write_atomically(path, text):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    try:
        # Owner only, like the images whose names and places it holds
        # (a file a killed writer left keeps its mode through O_CREAT).
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                          0o600), 'w') as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # A full or read-only file system: the old version stays whole.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise errors.LightSnapError(
            'cannot write %s: %s; it was left as it was, free some space '
            'and retry' % (path, exc.strerror or exc)) from None
    dir_fd = os.open(os.path.dirname(path) or '.', os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StateFile:
    """The metadata file of one domain and the lock that serialises it."""

    def __init__(self, path):
        self.path = path
        self.lock_path = path + '.lock'

    def exists(self):
        return os.path.exists(self.path)

    def load(self):
        try:
            with open(self.path) as handle:
                return DomainState.from_dict(json.load(handle))
        except FileNotFoundError:
            return None

    def save(self, state):
        _write_atomically(self.path,
                          json.dumps(state.to_dict(), indent=1,
                                     sort_keys=True))

    @staticmethod
    def _try_lock(fd):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
                return False
            raise

    @contextlib.contextmanager
    def locked(self, domain_name, wait=0):
        """Exclusive; a second operation is refused after ``wait`` seconds.

        Callers that must not fail because a merge runs (Nova's own image
        snapshot) wait; the others are refused at once.
        """
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while not self._try_lock(fd):
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors='replace')
                    raise errors.Busy(
                        'another lightsnap operation is running on domain '
                        '%s%s; wait for it to finish and try again'
                        % (domain_name,
                           ' (pid %s)' % holder.strip() if holder.strip()
                           else ''))
                time.sleep(0.2)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)


class Registry:
    """Host-wide index: where each domain's metadata is, and the sets.

    It lets ``list`` and ``set list`` work without libvirt.
    """

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.domains_dir = os.path.join(state_dir, 'domains')
        self.states_dir = os.path.join(state_dir, 'states')
        self.sets_dir = os.path.join(state_dir, 'sets')

    def _ensure(self, path):
        os.makedirs(path, mode=0o755, exist_ok=True)

    def record_domain(self, uuid, name, state_path):
        self._ensure(self.domains_dir)
        _write_atomically(os.path.join(self.domains_dir, uuid + '.json'),
                          json.dumps({'uuid': uuid, 'name': name,
                                      'state': state_path}))

    def forget_domain(self, uuid):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.domains_dir, uuid + '.json'))

    def find_domain(self, name_or_uuid):
        try:
            entries = os.listdir(self.domains_dir)
        except FileNotFoundError:
            return None
        for entry in sorted(entries):
            if not entry.endswith('.json'):
                continue
            with open(os.path.join(self.domains_dir, entry)) as handle:
                data = json.load(handle)
            if name_or_uuid in (data['uuid'], data['name']):
                return data
        return None

    def set_path(self, name):
        return os.path.join(self.sets_dir, name + '.json')

    def save_set(self, data):
        self._ensure(self.sets_dir)
        _write_atomically(self.set_path(data['name']),
                          json.dumps(data, indent=1, sort_keys=True))

    def load_set(self, name):
        try:
            with open(self.set_path(name)) as handle:
                return json.load(handle)
        except FileNotFoundError:
            raise errors.NotFound('no snapshot set %r (see "lightsnap set '
                                  'list")' % name) from None

    def remove_set(self, name):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.set_path(name))

    def list_sets(self):
        try:
            entries = sorted(os.listdir(self.sets_dir))
        except FileNotFoundError:
            return []
        out = []
        for entry in entries:
            if entry.endswith('.json'):
                with open(os.path.join(self.sets_dir, entry)) as handle:
                    out.append(json.load(handle))
        return sorted(out, key=lambda s: s['created_at'])

    @contextlib.contextmanager
    def sets_locked(self):
        self._ensure(self.sets_dir)
        fd = os.open(os.path.join(self.sets_dir, '.lock'),
                     os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def now_iso():
    return now().isoformat(timespec='seconds')


def describe(st):
    """The ``list`` view: oldest first, each disk's read-only image."""
    if st is None:
        return []
    out = []
    for snap in st.snapshots:
        out.append({
            'name': snap.name,
            'created_at': snap.created_at,
            'quiesced': snap.quiesced,
            'set': snap.set,
            'stored': snap.stored,
            'disks': {t: st.layer_ref(snap, t).url
                      for t in sorted(snap.layers)},
        })
    return out
