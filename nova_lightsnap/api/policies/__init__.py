"""The policy rules of lightsnap-api, in code.

Listed for ``oslopolicy-sample-generator`` through the ``oslo.policy.policies``
entry point ``lightsnap = nova_lightsnap.api.policies:list_rules``.
Ownership is checked apart from these rules: a project never sees another
project's instance (404), whatever the policy says, unless it may act on
all projects (``lightsnap:all_projects``).
"""

from oslo_policy import policy

ADMIN = 'role:admin'
MEMBER = 'role:admin or project_id:%(project_id)s'

BASE = [
    policy.RuleDefault('admin_api', ADMIN,
                       'Administrators of the cloud.'),
    policy.RuleDefault('project_member', MEMBER,
                       'A user of the instance\'s project.'),
]


def _op(name, check, description, method, path):
    return policy.DocumentedRuleDefault(
        name, check, description, [{'method': method, 'path': path}])


INSTANCE = '/v1/instances/{uuid}'
SNAPSHOT = INSTANCE + '/snapshots/{name}'

RULES = [
    _op('lightsnap:all_projects', 'rule:admin_api',
        'See and act on the instances and sets of every project '
        '(GET /v1/instances?all_projects=1, and any instance by uuid).',
        'GET', '/v1/instances'),
    _op('lightsnap:instances:list', 'rule:project_member',
        'List the instances of the project.', 'GET', '/v1/instances'),
    _op('lightsnap:instances:show', 'rule:project_member',
        'Show an instance.', 'GET', INSTANCE),
    _op('lightsnap:instances:update', 'rule:project_member',
        'Enable light snapshots or the daily schedule.', 'PATCH', INSTANCE),
    _op('lightsnap:instances:update:store', 'rule:admin_api',
        'Change "store" (keep deleted snapshots\' files on the host).',
        'PATCH', INSTANCE),
    _op('lightsnap:instances:commit_all', 'rule:project_member',
        'Fold every snapshot back into the root disk.',
        'POST', INSTANCE + '/commit-all'),
    _op('lightsnap:snapshots:create', 'rule:project_member',
        'Take a snapshot.', 'POST', INSTANCE + '/snapshots'),
    _op('lightsnap:snapshots:list', 'rule:project_member',
        'List the snapshots of an instance.', 'GET',
        INSTANCE + '/snapshots'),
    _op('lightsnap:snapshots:show', 'rule:project_member',
        'Show a snapshot.', 'GET', SNAPSHOT),
    _op('lightsnap:snapshots:delete', 'rule:project_member',
        'Delete a snapshot.', 'DELETE', SNAPSHOT),
    _op('lightsnap:snapshots:revert', 'rule:project_member',
        'Revert the instance to a snapshot.', 'POST', SNAPSHOT + '/revert'),
    _op('lightsnap:snapshots:export', 'rule:project_member',
        'Export a snapshot to a file on the compute host.', 'POST',
        SNAPSHOT + '/export'),
    _op('lightsnap:sets:create', 'rule:project_member',
        'Take a snapshot set.', 'POST', '/v1/sets'),
    _op('lightsnap:sets:list', 'rule:project_member',
        'List snapshot sets.', 'GET', '/v1/sets'),
    _op('lightsnap:sets:show', 'rule:project_member',
        'Show a snapshot set.', 'GET', '/v1/sets/{id}'),
    _op('lightsnap:sets:restore', 'rule:project_member',
        'Restore a snapshot set.', 'POST', '/v1/sets/{id}/restore'),
    _op('lightsnap:sets:delete', 'rule:project_member',
        'Delete a snapshot set.', 'DELETE', '/v1/sets/{id}'),
]


def list_rules():
    return BASE + RULES
