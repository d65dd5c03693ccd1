"""Nova's own functional harness (in-process API, conductor, scheduler and
compute) with LightSnapLibvirtDriver on Nova's fake libvirt.

Nova runs in its native-threading mode here, as in tests/unit/driver: the
same test process runs the engine's tests, which use native threads.
"""

from tests.support import nova_threading

nova_threading.setup()
