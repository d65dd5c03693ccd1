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

"""Every route of the API as each persona of secure RBAC: a project
reader may list and show, a project member may also act on the project's
instances, an admin may do anything on any project (store, all projects);
a member of another project does not even see the instances, and a user
with no role in the project may do nothing.

Table-driven: one test per (route, persona). The operations are not run
(their workers do not start): only whether the request is let through.
"""

import oslo_messaging as messaging
import testscenarios

from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from tests.unit.api import base

load_tests = testscenarios.load_tests_apply_scenarios

UUID = base.UUID_A
INSTANCE = '/v1/instances/' + UUID
SNAPSHOT = INSTANCE + '/snapshots/snap1'

READER, MEMBER, ADMIN = 'reader', 'member', 'admin'

# (name, method, path, body, the lowest persona allowed, its status)
ROUTES = [
    ('list_instances', 'GET', '/v1/instances', None, READER, 200),
    ('list_all_projects', 'GET', '/v1/instances?all_projects=1', None,
     ADMIN, 200),
    ('show_instance', 'GET', INSTANCE, None, READER, 200),
    ('update_daily', 'PATCH', INSTANCE, {'daily': True}, MEMBER, 200),
    ('update_enabled', 'PATCH', INSTANCE, {'enabled': True}, MEMBER, 200),
    ('update_store', 'PATCH', INSTANCE, {'store': True}, ADMIN, 200),
    ('commit_all', 'POST', INSTANCE + '/commit-all', None, MEMBER, 202),
    ('list_snapshots', 'GET', INSTANCE + '/snapshots', None, READER, 200),
    ('create_snapshot', 'POST', INSTANCE + '/snapshots', {'name': 'new'},
     MEMBER, 202),
    ('show_snapshot', 'GET', SNAPSHOT, None, READER, 200),
    ('delete_snapshot', 'DELETE', SNAPSHOT, None, MEMBER, 202),
    ('revert_snapshot', 'POST', SNAPSHOT + '/revert', None, MEMBER, 202),
    ('export_snapshot', 'POST', SNAPSHOT + '/export', {'file': 'out.qcow2'},
     MEMBER, 202),
    ('list_sets', 'GET', '/v1/sets', None, READER, 200),
    ('create_set', 'POST', '/v1/sets', {'name': 'set2',
                                        'instances': [UUID]}, MEMBER, 202),
    ('show_set', 'GET', '/v1/sets/{set_id}', None, READER, 200),
    ('restore_set', 'POST', '/v1/sets/{set_id}/restore', None, MEMBER, 202),
    ('delete_set', 'DELETE', '/v1/sets/{set_id}', None, MEMBER, 202),
    ('show_limits', 'GET', '/v1/limits', None, READER, 200),
    ('show_other_projects_limits', 'GET', '/v1/limits?project_id=project-b',
     None, ADMIN, 200),
]

LEVEL = {READER: 0, MEMBER: 1, ADMIN: 2}
OWN_COLLECTIONS = ('list_instances', 'list_sets', 'show_limits',
                   'show_other_projects_limits')


def _reader(route):
    return route[5] if route[4] == READER else 403


def _member(route):
    return route[5] if LEVEL[route[4]] <= LEVEL[MEMBER] else 403


def _other_project(route):
    """A member of project-b: project-a's instances and sets do not exist
    for it; its own (empty) collections do."""
    if route[0] in OWN_COLLECTIONS:
        return route[5]
    if route[0] == 'list_all_projects':
        return 403
    return 404


# (name, project, roles, expected status of a route)
PERSONAS = [
    ('project_reader', 'project-a', 'reader', _reader),
    ('project_member', 'project-a', 'member', _member),
    ('admin', 'project-admin', 'admin', lambda route: route[5]),
    ('member_of_another_project', 'project-b', 'member', _other_project),
    ('no_role', 'project-a', '', lambda route: 403),
]


class Compute(object):
    """A compute whose state reads do not answer (the database answers)
    and whose flag changes do."""

    def __init__(self):
        self.instance = {
            'uuid': UUID, 'enabled': True, 'store': False,
            'committed': False, 'snapshot_index': 2, 'root_index': 0,
            'snapshots': [{'name': 'snap1', 'size': 1},
                          {'name': 'set1', 'size': 1, 'set': 'set1'}]}

    def get_instance(self, ctxt, host, uuid, timeout=None):
        raise messaging.MessagingTimeout('not asked in these tests')

    progress = get_instance

    def set_flags(self, ctxt, host, uuid, enable=None, store=None):
        return dict(self.instance)


class PersonaTest(base.APIUnitTestCase):

    scenarios = testscenarios.multiply_scenarios(
        [(r[0], {'route': r}) for r in ROUTES],
        [(p[0], {'persona': p}) for p in PERSONAS])

    def make_client(self):
        return Compute()

    def setUp(self):
        super().setUp()
        # Whether a request is let through, not the operation's run.
        self.patch(worker.Operation, 'start', lambda op: op)
        db_api.instance_create(UUID, 'project-a', host='compute-1',
                               light_snapshot_enable=True,
                               snapshot_index=2)
        db_api.snapshot_create(UUID, 'snap1', state=models.AVAILABLE)
        self.set_id = db_api.snapshot_set_create(
            'set1', 'project-a', state=models.AVAILABLE).id
        db_api.snapshot_create(UUID, 'set1', state=models.AVAILABLE,
                               set_id=self.set_id)

    def test_route(self):
        name, method, path, body, lowest, status = self.route
        _persona, project, roles, expected = self.persona
        got, _headers, answer = self.request(
            method, path.format(set_id=self.set_id), body=body,
            project=project, roles=roles)
        self.assertEqual(expected(self.route), got, answer)
        if got == 403:
            self.assertIn('policy does not allow lightsnap:',
                          answer['error']['message'])
