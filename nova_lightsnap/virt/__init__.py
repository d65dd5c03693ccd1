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

"""The Nova side of nova-lightsnap: the only package that imports Nova.

``driver`` is the compute driver nova-compute loads (through the shim
package nova.virt.lightsnap); ``locator`` maps an instance to the engine,
``hooks`` is what the driver's lifecycle overrides do to light snapshots,
``host`` the engine on nova-compute's libvirt connection, ``volume`` the
volume drivers Nova no longer ships, and ``nova_private`` every private
name of Nova used, checked at start.
"""
