"""The engine on a real gluster volume (libgfapi network disks).

Each domain has one local file disk and one gluster disk, so every
operation is also proven to switch both kinds at once.
"""

from tests.functional import base
from tests.functional import scenarios

GLUSTER_DISKS = {'vda': 'file', 'vdb': 'gluster'}


class RunningGlusterDomainTest(scenarios.Scenarios, base.EngineTestCase):
    disks = GLUSTER_DISKS
    running = True
    random_steps = 12


class ShutOffGlusterDomainTest(scenarios.Scenarios, base.EngineTestCase):
    # qemu-img on gluster:// URLs pays about 10 s of libgfapi teardown per
    # call, so the shut-off runs are kept short.
    disks = GLUSTER_DISKS
    running = False
    random_steps = 6
