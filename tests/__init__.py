"""The tests of nova-lightsnap.

Nova's test packages call ``nova.monkey_patch.patch()`` when imported; with
OS_NOVA_DISABLE_EVENTLET_PATCHING set it refuses to run once anything has
imported eventlet, which oslo.service's default backend does (the API's
libraries pull it in). Patching here, before any test module is imported,
puts oslo.service on native threads for the whole test process, whatever
order the discovery imports the modules in.
"""

import os

if os.environ.get('OS_NOVA_DISABLE_EVENTLET_PATCHING'):
    from nova import monkey_patch

    monkey_patch.patch()
