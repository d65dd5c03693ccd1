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

"""Who may see a project's limits and usage: its readers (their own
project), an admin (any project)."""

from oslo_policy import policy

from nova_lightsnap.api.policies import base

SHOW = 'lightsnap:limits:show'

PATH = '/v1/limits'

# New with the personas: no default of before them to deprecate.
rules = [
    policy.DocumentedRuleDefault(
        name=SHOW, check_str=base.PROJECT_READER_OR_ADMIN,
        description='Show the limits and usage of light snapshots of a '
                    'project (its own; any with ?project_id= for an '
                    'admin).',
        operations=[{'method': 'GET', 'path': PATH}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules():
    return rules
