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
from nova_lightsnap.api.policies import limits
from nova_lightsnap.api.policies import snapshot
from nova_lightsnap.api.policies import snapshot_set


def list_rules():
    return list(itertools.chain(
        base.list_rules(), instance.list_rules(), snapshot.list_rules(),
        snapshot_set.list_rules(), limits.list_rules()))
