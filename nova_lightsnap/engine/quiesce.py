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

"""Freezing guest file systems through qemu-guest-agent.

``required`` fails loudly when the guest cannot be frozen, ``auto`` falls
back to an unquiesced (crash-consistent) snapshot and says so, ``off`` does
not ask. Whatever happens in between, a frozen guest is thawed.
"""

import contextlib
import logging
import time

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import errors

LOG = logging.getLogger(__name__)

MODES = ('auto', 'required', 'off')
# Seconds libvirt waits for the agent during a freeze or thaw. libvirt's
# own default is to wait forever, and a hung agent (or fsfreeze hook) would
# hang the snapshot with it.
AGENT_TIMEOUT = 10


def check_mode(mode):
    if mode not in MODES:
        raise errors.InvalidInput('quiesce mode %r is not one of %s'
                                  % (mode, ', '.join(MODES)))
    return mode


def freeze(dom, mode):
    """Freeze ``dom``'s file systems per ``mode``; True if it is frozen."""
    if mode == 'off' or not dom.isActive():
        # A shut-off domain is as quiet as it gets.
        return False
    if not chain.domain_has_agent_channel(dom.XMLDesc(0)):
        if mode == 'required':
            raise errors.QuiesceFailed(
                'domain %s has no qemu-guest-agent channel; add one or use '
                '--quiesce auto|off' % dom.name())
        LOG.warning('domain %s has no guest agent channel: snapshot will '
                    'be crash-consistent, not quiesced', dom.name())
        return False
    _agent_timeout(dom, AGENT_TIMEOUT)
    try:
        count = dom.fsFreeze()
    except libvirt.libvirtError as exc:
        # A freeze that timed out may still have frozen some file systems.
        thaw(dom)
        if mode == 'required':
            raise errors.QuiesceFailed(
                'could not freeze the file systems of %s: %s; check that '
                'qemu-guest-agent runs in the guest, or use --quiesce auto'
                % (dom.name(), exc.get_error_message())) from None
        LOG.warning('could not freeze %s (%s): snapshot will be '
                    'crash-consistent', dom.name(), exc.get_error_message())
        return False
    LOG.info('froze %d file system(s) of %s', count, dom.name())
    return True


def _agent_timeout(dom, seconds):
    try:
        dom.agentSetResponseTimeout(seconds, 0)
    except (libvirt.libvirtError, AttributeError) as exc:
        # libvirt < 5.10, or the domain went away: nothing to bound.
        LOG.debug('agent timeout of %s not set: %s', dom.name(), exc)


def thaw(dom, attempts=3):
    """Thaw, retrying: an agent stuck in a freeze answers once it is done."""
    try:
        return _thaw(dom, attempts)
    finally:
        _agent_timeout(dom, libvirt.VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK)


def _thaw(dom, attempts):
    for attempt in range(attempts):
        try:
            dom.fsThaw()
            return True
        except libvirt.libvirtError as exc:
            if (exc.get_error_code() in (libvirt.VIR_ERR_OPERATION_INVALID,
                                         libvirt.VIR_ERR_NO_DOMAIN) or
                    'not connected' in (exc.get_error_message() or '')):
                # Shut off, gone, or no agent on the line: nothing that
                # could have been frozen is waiting for a thaw.
                return False
            LOG.warning('thaw of %s failed (%s), attempt %d of %d',
                        dom.name(), exc.get_error_message(), attempt + 1,
                        attempts)
            time.sleep(1)
    LOG.error('domain %s may still be frozen: run "virsh domfsthaw %s"',
              dom.name(), dom.name())
    return False


@contextlib.contextmanager
def frozen(dom, mode):
    """Yields whether the guest is frozen; always thaws on the way out."""
    is_frozen = freeze(dom, mode)
    try:
        yield is_frozen
    finally:
        if is_frozen:
            thaw(dom)
