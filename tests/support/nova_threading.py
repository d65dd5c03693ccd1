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

"""Nova in its native-threading mode, before anything imports nova.test.

Importing nova.test runs nova.tests and nova.tests.unit, which monkey-patch
the whole test process with eventlet unless told otherwise; the engine's
tests share that process and use native threads (libvirt's event loop). So,
unless something imported eventlet already, Nova is put in its native
threading mode first, before futurist (imported by nova.test) pulls eventlet
in. Called by the __init__ of every test package that imports Nova.
"""

import os
import sys


def setup():
    if 'eventlet' not in sys.modules:
        os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
        from nova import monkey_patch
        monkey_patch.patch()
