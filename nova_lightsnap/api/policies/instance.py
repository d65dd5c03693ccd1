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

"""Policies of /v1/instances."""

from nova_lightsnap.api.policies import base

PREFIX = 'lightsnap:instances:%s'
LIST = PREFIX % 'list'
SHOW = PREFIX % 'show'
UPDATE = PREFIX % 'update'
UPDATE_STORE = PREFIX % 'update:store'
COMMIT_ALL = PREFIX % 'commit_all'
# Not of one instance: whether a caller sees every project's.
ALL_PROJECTS = 'lightsnap:all_projects'

PATH = '/v1/instances/{uuid}'

rules = [
    base.operation(
        ALL_PROJECTS, base.ADMIN,
        'See and act on the instances and sets of every project '
        '(GET /v1/instances?all_projects=1, and any instance by uuid).',
        'GET', '/v1/instances', base.LEGACY_ADMIN),
    base.operation(
        LIST, base.PROJECT_READER_OR_ADMIN,
        'List the instances of the project.', 'GET', '/v1/instances',
        base.LEGACY_MEMBER),
    base.operation(
        SHOW, base.PROJECT_READER_OR_ADMIN, 'Show an instance.', 'GET',
        PATH, base.LEGACY_MEMBER),
    base.operation(
        UPDATE, base.PROJECT_MEMBER_OR_ADMIN,
        'Enable light snapshots or the daily schedule.', 'PATCH', PATH,
        base.LEGACY_MEMBER),
    base.operation(
        UPDATE_STORE, base.ADMIN,
        'Change "store" (keep deleted snapshots\' files on the host).',
        'PATCH', PATH, base.LEGACY_ADMIN),
    base.operation(
        COMMIT_ALL, base.PROJECT_MEMBER_OR_ADMIN,
        'Fold every snapshot back into the root disk.', 'POST',
        PATH + '/commit-all', base.LEGACY_MEMBER),
]


def list_rules():
    return rules
