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

"""Where an instance's light snapshots are: Nova's instance to the engine.

An instance uuid becomes its libvirt domain, its root disk (the only disk
covered), its metadata file in the instance directory and the lock
Nova's compute manager takes for it (nova_lightsnap.compute.manager's
``Locator``).
"""

import contextlib
import os

from oslo_concurrency import lockutils

from nova.compute import vm_states
from nova import context as nova_context
from nova import exception
from nova import objects
from nova.virt.libvirt import utils as libvirt_utils

import nova.conf

from nova_lightsnap import chain
from nova_lightsnap.compute import manager
from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import state
from nova_lightsnap.virt import nova_private

CONF = nova.conf.CONF

# Nova's file name of the root disk for images_type qcow2, raw and flat.
ROOT_DISK = 'disk'
# Nova states in which the disks may be switched.
SNAPSHOT_VM_STATES = (vm_states.ACTIVE, vm_states.STOPPED, vm_states.PAUSED)
READ_ONLY_OPS = ('show',)


def instance_dir(instance):
    return libvirt_utils.get_instance_path(instance)


def state_path(instance):
    return os.path.join(instance_dir(instance),
                        instance.uuid + domain.STATE_SUFFIX)


def load_state(instance):
    """The instance's light-snapshot metadata; None if it never opted in.

    Some of Nova's own callers of the overridden methods pass a plain dict
    (its unit tests do), which Nova's code there never reads: it is not
    read here either.
    """
    path = existing_state_path(instance)
    return None if path is None else state.StateFile(path).load()


def existing_state_path(instance):
    """The metadata file, None if the instance never opted in. A stat, not
    an open: on these paths Nova's own code reads no file (and its tests
    replace open())."""
    if isinstance(instance, dict):
        return None
    path = state_path(instance)
    return path if os.path.exists(path) else None


def nova_lock(uuid):
    """The lock the compute manager takes (``utils.synchronized(uuid)``)."""
    return lockutils.lock(uuid, lock_file_prefix='nova-')


class Locator:
    """compute.manager's Locator for the instances of one nova-compute."""

    def __init__(self, driver):
        self.driver = driver
        self.hostname = None  # nova-compute's host, known from init_host

    def _instance(self, uuid):
        ctxt = nova_context.get_admin_context()
        try:
            return objects.Instance.get_by_uuid(ctxt, uuid,
                                                expected_attrs=['flavor'])
        except exception.InstanceNotFound:
            raise errors.NotFound('no instance %s' % uuid) from None

    def _root_target(self, instance, dom):
        root = os.path.join(instance_dir(instance), ROOT_DISK)
        # A shut-off domain's XML shows no backing chain: its root disk is
        # the one on Nova's file or on one of our layers.
        known = {root}
        st = load_state(instance)
        for dstate in (st.disks.values() if st else ()):
            known.update(dstate.ref(n).path for n in dstate.layers)
        xml = dom.XMLDesc(0)
        for disk in chain.parse_disks(xml, include_unsupported=True):
            if any(i.ref.kind == 'file' and i.ref.path in known
                   for i in disk.chain):
                return disk.target
        raise errors.Unsupported(
            'the root disk of instance %s is not the local file %s '
            '([libvirt] images_type qcow2, raw or flat); light snapshots '
            'cover local root disks only' % (instance.uuid, root))

    def locate(self, uuid, op):
        """The domain, root disk, metadata and lock of uuid."""
        instance = self._instance(uuid)
        here = self.hostname or CONF.host
        if instance.host != here:
            raise errors.NotFound('instance %s is on host %s, not on %s'
                                  % (uuid, instance.host, here))
        if op not in READ_ONLY_OPS and (
                instance.vm_state not in SNAPSHOT_VM_STATES or
                instance.task_state is not None):
            raise errors.InvalidState(
                'instance %s is %s%s; light snapshots need it active, '
                'paused or stopped with no Nova task running; try again '
                'when it is' % (uuid, instance.vm_state,
                                ' (%s)' % instance.task_state
                                if instance.task_state else ''))
        return self.located(instance, lock=lambda: nova_lock(uuid))

    def located(self, instance, lock=contextlib.nullcontext):
        """``instance`` (a Nova Instance) located, with ``lock``."""
        libvirt_host = nova_private.libvirt_host_of(self.driver)
        try:
            dom = nova_private.domain_of(libvirt_host.get_guest(instance))
        except exception.InstanceNotFound:
            raise errors.NotFound('instance %s has no domain on this host'
                                  % instance.uuid) from None
        return manager.Located(dom, [self._root_target(instance, dom)],
                               state_path(instance), lock)
