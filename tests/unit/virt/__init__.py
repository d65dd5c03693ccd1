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

"""Unit tests of the Nova driver, on Nova's own test base and LibvirtFixture.

Importing nova.test runs nova.tests.unit, which monkey-patches the whole
test process with eventlet unless told otherwise; the engine's tests share
that process and use native threads (libvirt's event loop). So Nova is put
in its native threading mode first (tests/support/nova_threading.py).
"""

from tests.support import nova_threading

nova_threading.setup()
