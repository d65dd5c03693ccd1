"""The policy rules of lightsnap-api, in code: one module per resource,
rule names as constants, the personas in :mod:`.base`.

Listed for ``oslopolicy-sample-generator`` through the ``oslo.policy.policies``
entry point ``lightsnap = nova_lightsnap.api.policies:list_rules``.
Ownership is checked apart from these rules: a project never sees another
project's instance (404), whatever the policy says, unless it may act on
all projects (``lightsnap:all_projects``).
"""

import itertools

from nova_lightsnap.api.policies import base
from nova_lightsnap.api.policies import instance
from nova_lightsnap.api.policies import snapshot
from nova_lightsnap.api.policies import snapshot_set


def list_rules():
    return list(itertools.chain(
        base.list_rules(), instance.list_rules(), snapshot.list_rules(),
        snapshot_set.list_rules()))
