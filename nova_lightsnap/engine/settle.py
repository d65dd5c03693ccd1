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

"""Wait until libvirtd has finished every call on a domain.

A client that was killed or lost its connection leaves its last call
running in libvirtd: the client is gone, not its call. A caller that reads
the XML meanwhile sees the disks from before, decides on them, and then has
the switch happen under it. Removing a metadata element that does not exist
changes nothing, but needs the domain's job, which that call holds until it
is done.
"""

import libvirt

from nova_lightsnap.engine import errors

# A metadata namespace never written: removing it is the no-op.
NAMESPACE = 'https://opendev.org/nova-lightsnap/settle'


def settle(dom, name):
    """Return once no earlier call runs on ``dom`` (or it is gone).

    Raises Busy when libvirt's own job wait (30 s) runs out; any other
    libvirt error propagates.
    """
    try:
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None,
                        NAMESPACE, libvirt.VIR_DOMAIN_AFFECT_CURRENT)
    except libvirt.libvirtError as exc:
        code = exc.get_error_code()
        if code == libvirt.VIR_ERR_NO_DOMAIN:
            return  # a transient domain that was stopped: no call runs
        if code != libvirt.VIR_ERR_OPERATION_TIMEOUT:
            raise
        raise errors.Busy(
            'domain %s: libvirt still runs an earlier call on it (%s); '
            'try again once it is done' % (
                name, exc.get_error_message())) from None
