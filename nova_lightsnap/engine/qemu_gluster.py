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

"""Whether this host's QEMU has its gluster block driver.

QEMU deprecated the driver in 9.2, and distributions ship it apart
(Debian's and Ubuntu's ``qemu-block-extra``) or not at all. Without it no
libgfapi network disk (``protocol='gluster'``) can be started, attached or
merged offline, whatever libvirt's version; a volume attached as a file on
a FUSE mount of the volume still can.

The feature is detected, never inferred from a version: ``qemu-img`` is
asked to open a gluster image without a server. A QEMU with the driver
complains about the missing server; one without says ``Unknown driver
'gluster'``. Nothing is connected; the check costs one short qemu-img
run. qemu-img and the QEMU that libvirt starts load the same block modules.
"""

import logging
import subprocess
import threading

from nova_lightsnap.engine import errors

LOG = logging.getLogger(__name__)

PROBE = ['qemu-img', 'info', '--image-opts', 'driver=gluster']
MISSING = "Unknown driver 'gluster'"
NO_DRIVER = ('QEMU on this host has no gluster block driver (qemu-img: %s)'
             % MISSING)

ADVICE = ("Install QEMU's gluster block driver (qemu-block-extra on "
          "Debian and Ubuntu; QEMU deprecated it in 9.2), or attach "
          "gluster volumes as files on a FUSE mount: set "
          "[lightsnap] gluster_transport = fuse in nova.conf, restart "
          "nova-compute, then detach and attach each gluster volume again")

_lock = threading.Lock()
_found = False


def available():
    """True or False, or None when qemu-img could not be run at all.

    Only a found driver is remembered: one installed later is seen at the
    next check without a restart.
    """
    global _found
    with _lock:
        if _found:
            return True
        try:
            out = subprocess.run(PROBE, capture_output=True, text=True,
                                 timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            LOG.warning('Could not tell whether QEMU has its gluster block '
                        'driver: %s', exc)
            return None
        if MISSING in out.stderr:
            return False
        _found = True
        return True


def require(domain, targets):
    """Refuse work on the libgfapi disks ``targets`` of ``domain`` when
    QEMU cannot open them: nothing has been changed yet."""
    if targets and available() is False:
        raise errors.Unsupported(
            '%s, so disk %s of %s, a gluster network disk, cannot be '
            'opened here. Nothing was changed. %s.'
            % (NO_DRIVER, ', '.join(sorted(targets)), domain, ADVICE))
