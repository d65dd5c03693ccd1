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

"""The personas of secure RBAC, as Nova's and placement's defaults name
them: a project reader may look, a project member may act on the
project's instances, an admin may do anything on any project.

Every rule is project-scoped (``scope_types=['project']``): the API
serves instances, which belong to projects. The rules of before the
personas (``admin_api``, and ``project_member``: any role in the project)
stay as deprecated aliases; ``[oslo_policy] enforce_new_defaults =
False`` keeps them in force during an upgrade.
"""

from oslo_policy import policy

ADMIN = 'rule:context_is_admin'
PROJECT_MEMBER_OR_ADMIN = 'rule:project_member_or_admin'
PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin'

PROJECT_SCOPE = ['project']

# What the rules checked before the personas.
LEGACY_ADMIN = 'role:admin'
LEGACY_MEMBER = 'role:admin or project_id:%(project_id)s'

DEPRECATED_REASON = (
    "lightsnap-api's policies now follow the reader, member and admin "
    "personas of secure RBAC, with scope_types. The old defaults let any "
    "role of a project act on its instances.")
DEPRECATED_SINCE = '2026.2'

DEPRECATED_ADMIN = policy.DeprecatedRule(
    name='admin_api', check_str=LEGACY_ADMIN,
    deprecated_reason=DEPRECATED_REASON, deprecated_since=DEPRECATED_SINCE)

DEPRECATED_MEMBER = policy.DeprecatedRule(
    name='project_member', check_str=LEGACY_MEMBER,
    deprecated_reason=DEPRECATED_REASON, deprecated_since=DEPRECATED_SINCE)

rules = [
    policy.RuleDefault(
        'context_is_admin', 'role:admin',
        'Administrators of the cloud.', deprecated_rule=DEPRECATED_ADMIN),
    policy.RuleDefault(
        'project_member_api', 'role:member and project_id:%(project_id)s',
        'A member of the resource\'s project.',
        deprecated_rule=DEPRECATED_MEMBER),
    policy.RuleDefault(
        'project_reader_api', 'role:reader and project_id:%(project_id)s',
        'A reader of the resource\'s project.',
        deprecated_rule=DEPRECATED_MEMBER),
    policy.RuleDefault(
        'project_member_or_admin',
        'rule:project_member_api or rule:context_is_admin',
        'A member of the resource\'s project, or an administrator.'),
    policy.RuleDefault(
        'project_reader_or_admin',
        'rule:project_reader_api or rule:context_is_admin',
        'A reader of the resource\'s project, or an administrator.'),
]


def operation(name, check_str, description, method, path, legacy):
    """A documented, project-scoped rule whose default before the
    personas was ``legacy``."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{'method': method, 'path': path}],
        scope_types=PROJECT_SCOPE,
        deprecated_rule=policy.DeprecatedRule(
            name=name, check_str=legacy,
            deprecated_reason=DEPRECATED_REASON,
            deprecated_since=DEPRECATED_SINCE))


def list_rules():
    return rules
