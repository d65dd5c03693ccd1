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

"""The engine bound to one libvirt connection: the entry point for callers."""

import logging

import libvirt

from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import state

LOG = logging.getLogger(__name__)

DEFAULT_URI = 'qemu:///system'
DEFAULT_STATE_DIR = '/var/lib/lightsnap'
DEFAULT_JOB_TIMEOUT = 3600


def _quiet_libvirt_errors(ctx, err):
    # libvirt prints every error to stderr by default; ours are reported
    # through exceptions with a message that says what to do.
    pass


class Host:
    def __init__(self, uri=DEFAULT_URI, state_dir=DEFAULT_STATE_DIR,
                 job_timeout=DEFAULT_JOB_TIMEOUT, progress=None, conn=None,
                 job_bandwidth=0, use_events=True, event_loop=True):
        """``conn``: a connection owned by the caller. ``event_loop`` False
        when the caller (nova-compute) runs libvirt's event loop itself;
        ``use_events`` False when libvirt's callbacks must not run our code
        (Nova under eventlet)."""
        if event_loop:
            blockjob.start_event_loop()
            libvirt.registerErrorHandler(_quiet_libvirt_errors, None)
        self.use_events = use_events
        self.uri = uri
        self._conn = conn
        self._owned = conn is None
        self.registry = state.Registry(state_dir)
        self.job_timeout = job_timeout
        # MiB/s a merge may move, 0 for no limit: spares a busy host's disks.
        self.job_bandwidth = job_bandwidth
        self.progress = progress
        self._watcher = None
        self.opened = []  # every DomainSnapshots handed out, for reports

    @property
    def conn(self):
        if self._conn is None:
            try:
                self._conn = libvirt.open(self.uri)
            except libvirt.libvirtError as exc:
                raise errors.LightSnapError(
                    'cannot connect to libvirt at %s: %s; is libvirtd '
                    'running?' % (self.uri, exc.get_error_message())) from None
        return self._conn

    @property
    def watcher(self):
        if self._watcher is None:
            self._watcher = blockjob.JobWatcher(
                self.conn if self.use_events else blockjob.NoEvents())
        return self._watcher

    def close(self):
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        if self._conn is not None and self._owned:
            self._conn.close()
        self._conn = None

    def lookup(self, name):
        if not isinstance(name, str) or not name or '\0' in name:
            raise errors.InvalidInput('domain name must be a non-empty '
                                      'string')
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                try:
                    return self.conn.lookupByUUIDString(name)
                except libvirt.libvirtError:
                    pass
                raise errors.NotFound('no domain %r on %s (see "virsh list '
                                      '--all")' % (name, self.uri)) from None
            raise

    def domain(self, name, targets=None):
        """``targets``: the disks a new snapshot covers (default: those the
        domain's snapshots cover, or every disk)."""
        handle = domain.DomainSnapshots(self, self.lookup(name),
                                        targets=targets)
        # Only handles with something to report are kept: a long-lived
        # Host (a service) would otherwise grow with every operation.
        self.opened = [h for h in self.opened if h.reports]
        self.opened.append(handle)
        return handle

    def reports(self):
        """What recovery did on the way, per domain."""
        return [(h.name, r) for h in self.opened for r in h.reports]

    def list_offline(self, name):
        """``list`` from the metadata when libvirt cannot be reached."""
        entry = self.registry.find_domain(name)
        if entry is None:
            raise errors.NotFound('no light-snapshot metadata for %r on this '
                                  'host' % name)
        return domain.describe(state.StateFile(entry['state']).load())
