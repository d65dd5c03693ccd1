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

"""The light-snapshot operations of one compute host, by instance uuid:
what Nova would call the compute manager.

This is what the RPC endpoint (nova_lightsnap.compute.endpoint) serves. A
Nova compute and a plain libvirt host (the embedded default) differ only
in their ``Locator``: how an instance uuid becomes a domain, which of its
disks are covered, where its metadata lives and which lock to hold
besides the engine's own.
"""

import contextlib
import dataclasses
import os
import threading
import uuid as uuid_mod

import libvirt

from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host as host_mod
from nova_lightsnap.engine import images
from nova_lightsnap.engine import sets
from nova_lightsnap import names

# Jobs that stop a running domain and start it again: a revert to a stored
# snapshot keeps it off while its layer is copied back.
RESTARTING_OPS = ('revert', 'set-restore')


@contextlib.contextmanager
def _domain_gone_is_not_found(uuid):
    """A domain undefined while we look at it is simply not there."""
    try:
        yield
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            raise errors.NotFound('no instance %s on this host' % uuid)
        raise


def check_uuid(value):
    try:
        if isinstance(value, str) and str(uuid_mod.UUID(value)) == value:
            return value
    except ValueError:
        pass
    raise errors.InvalidInput('%r is not an instance uuid (lower-case, '
                              'with dashes)' % (value,))


@dataclasses.dataclass
class Located:
    dom: object  # libvirt.virDomain
    targets: list | None = None  # disks covered; None: all
    state_path: str | None = None  # None: beside the first local disk
    lock: object = contextlib.nullcontext  # () -> context manager


class LocalLocator:
    """Instances are the libvirt domains of this host, all disks covered."""

    def __init__(self, host):
        self.host = host

    def locate(self, uuid, op):
        with _domain_gone_is_not_found(uuid):
            return Located(self.host.conn.lookupByUUIDString(uuid))


class InstanceOperations:
    """Serves one host; thread-safe (one DomainSnapshots per call)."""

    def __init__(self, host, locator, export_dir):
        self.host = host
        self.locator = locator
        self.export_dir = export_dir
        self._jobs = {}  # uuid -> {'op', 'percent', 'what'}
        # uuid -> {'op', 'name', 'error'}: how the last job ended. The API
        # process that called may have died meanwhile (a recycled WSGI
        # worker); the one that takes its task over reads the end here.
        self._ended = {}
        self._jobs_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------

    def _open(self, uuid, op, located=None, lock_wait=0):
        located = located or self.locator.locate(check_uuid(uuid), op)

        def progress(what, percent):
            with self._jobs_lock:
                job = self._jobs.get(uuid)
                if job is not None:
                    job.update(percent=int(percent), what=what)

        return domain.DomainSnapshots(
            self.host, located.dom, targets=located.targets,
            state_path=located.state_path, progress=progress,
            lock_wait=lock_wait)

    def _begin(self, uuids, op):
        """Show the job of ``op`` on every instance, or raise Busy."""
        with self._jobs_lock:
            for uuid in uuids:
                if uuid in self._jobs:
                    raise errors.Busy(
                        'instance %s is busy with %s; wait for it to finish'
                        % (uuid, self._jobs[uuid]['op']))
            for uuid in uuids:
                self._jobs[uuid] = {'op': op, 'percent': 0, 'what': op}

    @contextlib.contextmanager
    def _job(self, uuids, op, name):
        """Run the body as the job ``op`` on ``uuids``; its end is kept
        for get_instance before the job stops showing in progress()."""
        self._begin(uuids, op)
        error = None
        try:
            yield
        except Exception as exc:
            error = (str(exc) if isinstance(exc, errors.LightSnapError) else
                     'internal error (%s: %s); see the log of the compute'
                     % (type(exc).__name__, exc))
            raise
        finally:
            with self._jobs_lock:
                for uuid in uuids:
                    self._ended[uuid] = {'op': op, 'name': name,
                                         'error': error}
                    self._jobs.pop(uuid, None)

    @contextlib.contextmanager
    def _running(self, uuid, op, need_enabled=True, name=None):
        """The instance's DomainSnapshots, with its job shown by progress()."""
        located = self.locator.locate(check_uuid(uuid), op)
        with located.lock(), _domain_gone_is_not_found(uuid):
            ds = self._open(uuid, op, located)
            if need_enabled:
                st = ds.state_file.load()
                if st is None or not st.enabled:
                    raise errors.InvalidState(
                        'light snapshots are not enabled on instance %s; '
                        'enable them first' % uuid)
            with self._job([uuid], op, name):
                yield ds

    def _snapshot_view(self, st, item):
        size = 0
        snap = st.snapshot(item['name'])
        for target in snap.layers:
            ref = st.layer_ref(snap, target)
            if ref.kind == 'file':
                size += images.allocated(ref)
        return dict(item, size=size)

    def _instance_view(self, uuid, st):
        snapshots = [] if st is None else [
            self._snapshot_view(st, s) for s in domain.describe(st)]
        return {
            'uuid': uuid,
            'enabled': bool(st and st.enabled),
            'store': bool(st and st.store),
            'committed': bool(st and st.committed),
            'snapshot_index': st.next_index - 1 if st else 0,
            'root_index': st.root_index if st else 0,
            'snapshots': snapshots,
            'job': self.progress(uuid),
            'last_job': self.last_job(uuid),
        }

    # -- operations ---------------------------------------------------------

    def get_instance(self, uuid):
        with _domain_gone_is_not_found(uuid):
            ds = self._open(uuid, 'show')
            return self._instance_view(uuid, ds.state_file.load())

    def set_flags(self, uuid, enable=None, store=None):
        for value in (enable, store):
            if value is not None and not isinstance(value, bool):
                raise errors.InvalidInput('enable and store are true or '
                                          'false')
        with self._running(uuid, 'set-flags', need_enabled=False) as ds:
            st = ds.state_file.load()
            if st is None and not enable:
                # Nothing to record for an instance that never opted in.
                return self._instance_view(uuid, None)
            st = ds.set_flags(enabled=enable, store=store)
        return self._instance_view(uuid, st)

    def create_snapshot(self, uuid, name=None, quiesce='auto'):
        if name is not None:
            names.check_snapshot_name(name)
        with self._running(uuid, 'create', name=name) as ds:
            item = ds.create(name, quiesce_mode=quiesce)
            st = ds.state_file.load()
        return self._snapshot_view(st, item)

    def delete_snapshot(self, uuid, name, purge=False):
        names.check_snapshot_name(name)
        with self._running(uuid, 'delete', name=name) as ds:
            return ds.delete(name, purge=bool(purge))

    def revert_snapshot(self, uuid, name):
        names.check_snapshot_name(name)
        with self._running(uuid, 'revert', name=name) as ds:
            return ds.revert(name)

    def commit_all(self, uuid):
        with self._running(uuid, 'commit-all') as ds:
            result = ds.commit_all()
        return {'committed': result['committed']}

    def export_snapshot(self, uuid, name, file):
        names.check_snapshot_name(name)
        names.check_basename(file, 'export file name')
        with self._running(uuid, 'export', name=name) as ds:
            st = ds.state_file.load()
            targets = sorted(st.snapshot(name).layers)
            os.makedirs(self.export_dir, exist_ok=True)
            paths = {}
            for target in targets:
                dest = os.path.join(self.export_dir, file)
                if len(targets) > 1:
                    stem, dot, ext = file.rpartition('.')
                    dest = os.path.join(
                        self.export_dir, '%s-%s.%s' % (stem, target, ext)
                        if dot and stem else '%s-%s' % (file, target))
                ds.export(name, target, dest)
                paths[target] = dest
        return {'exported': name, 'path': paths[targets[0]], 'paths': paths}

    # -- sets ----------------------------------------------------------------

    def _set_members(self, uuids, op):
        if not isinstance(uuids, list) or not uuids:
            raise errors.InvalidInput('a snapshot set needs a list of '
                                      'instance uuids')
        uuids = [check_uuid(u) for u in uuids]
        located = {u: self.locator.locate(u, op) for u in uuids}
        return uuids, located

    @contextlib.contextmanager
    def _set_operation(self, uuids, op, set_name):
        uuids, located = self._set_members(uuids, op)
        with contextlib.ExitStack() as stack:
            for u in uuids:
                stack.enter_context(located[u].lock())
            for u in uuids:
                st = self._open(u, op, located[u]).state_file.load()
                if st is None or not st.enabled:
                    raise errors.InvalidState(
                        'light snapshots are not enabled on instance %s; '
                        'enable them first' % u)
            # Shown on every member, as a job of one instance is.
            stack.enter_context(self._job(uuids, op, set_name))
            by_uuid = {}

            def open_domain(u):
                by_uuid[u] = self._open(u, op, located[u])
                return by_uuid[u]
            yield uuids, open_domain, by_uuid

    def create_set(self, set_name, uuids, quiesce='auto'):
        names.check_snapshot_name(set_name, 'set name')
        with self._set_operation(uuids, 'set-create', set_name) as (
                members, open_domain, by_uuid):
            result = sets.create(self.host, set_name, members,
                                 quiesce_mode=quiesce,
                                 open_domain=open_domain)
            snapshots = {}
            for u in members:
                st = by_uuid[u].state_file.load()
                item = [i for i in domain.describe(st)
                        if i['name'] == set_name][0]
                snapshots[u] = self._snapshot_view(st, item)
        return {'set': set_name, 'members': members,
                'snapshots': snapshots,
                'freeze_window': result['freeze_window']}

    def restore_set(self, set_name, uuids):
        with self._set_operation(uuids, 'set-restore', set_name) as (
                members, open_domain, _):
            sets.restore(self.host, set_name, open_domain=open_domain)
        return {'restored': set_name, 'members': members}

    def delete_set(self, set_name, uuids):
        with self._set_operation(uuids, 'set-delete', set_name) as (
                members, open_domain, _):
            sets.delete(self.host, set_name, open_domain=open_domain)
        return {'deleted': set_name, 'members': members}

    def progress(self, uuid):
        with self._jobs_lock:
            job = self._jobs.get(uuid)
            return dict(job) if job else None

    def restarting(self, uuid):
        """Whether a job that stops the domain and starts it again (a
        revert, a set's restore) runs on ``uuid``."""
        with self._jobs_lock:
            job = self._jobs.get(uuid)
            return job is not None and job['op'] in RESTARTING_OPS

    def last_job(self, uuid):
        """How the last job on ``uuid`` ended since this service started
        ({'op', 'name', 'error'}: error None on success), or None."""
        with self._jobs_lock:
            ended = self._ended.get(uuid)
            return dict(ended) if ended else None


def local(uri=host_mod.DEFAULT_URI, state_dir=host_mod.DEFAULT_STATE_DIR,
          export_dir=None, job_timeout=host_mod.DEFAULT_JOB_TIMEOUT,
          job_bandwidth=0):
    """The operations of a plain libvirt host: the embedded default."""
    host = host_mod.Host(uri=uri, state_dir=state_dir,
                         job_timeout=job_timeout,
                         job_bandwidth=job_bandwidth)
    return InstanceOperations(
        host, LocalLocator(host),
        export_dir or os.path.join(state_dir, 'exports'))
