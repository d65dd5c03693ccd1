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

"""The tests of nova-lightsnap.

The suite runs on native threads: under eventlet's monkey-patching the
engine's own threads (libvirt's event loop) hang, so
OS_NOVA_DISABLE_EVENTLET_PATCHING is set here however the tests are
started. Nova's test packages call ``nova.monkey_patch.patch()`` when
imported; with that variable set it refuses to run once anything has
imported eventlet, which oslo.service's default backend does (the API's
libraries pull it in). Patching here, before any test module is imported,
puts oslo.service on native threads for the whole test process, whatever
order the discovery imports the modules in.

Importing nova.test sets oslo.log up with a handler on stdout, which in a
stestr worker is the subunit stream: every record logged outside a test's
own capture (tests.support.testcase, Nova's StandardLogging) became text in
the run's output. It is imported here, once, and that handler dropped.
"""

import importlib
import logging
import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
from nova import monkey_patch  # noqa: E402  (reads the variable)

monkey_patch.patch()

importlib.import_module('nova.test')
logging.getLogger().handlers[:] = [logging.NullHandler()]
