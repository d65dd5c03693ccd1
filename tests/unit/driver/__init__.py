"""Unit tests of the Nova driver, on Nova's own test base and LibvirtFixture.

Importing nova.test runs nova.tests.unit, which monkey-patches the whole
test process with eventlet unless told otherwise; the engine's tests share
that process and use native threads (libvirt's event loop). So Nova is put
in its native threading mode first (tests/support/nova_threading.py).
"""

from tests.support import nova_threading

nova_threading.setup()
