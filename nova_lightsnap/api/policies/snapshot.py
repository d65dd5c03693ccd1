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

"""Policies of /v1/instances/{uuid}/snapshots."""

from nova_lightsnap.api.policies import base

PREFIX = 'lightsnap:snapshots:%s'
CREATE = PREFIX % 'create'
LIST = PREFIX % 'list'
SHOW = PREFIX % 'show'
DELETE = PREFIX % 'delete'
REVERT = PREFIX % 'revert'
EXPORT = PREFIX % 'export'

COLLECTION = '/v1/instances/{uuid}/snapshots'
PATH = COLLECTION + '/{name}'

rules = [
    base.operation(
        CREATE, base.PROJECT_MEMBER_OR_ADMIN,
        'Take a snapshot (also of each member of a new snapshot set).',
        'POST', COLLECTION, base.LEGACY_MEMBER),
    base.operation(
        LIST, base.PROJECT_READER_OR_ADMIN,
        'List the snapshots of an instance.', 'GET', COLLECTION,
        base.LEGACY_MEMBER),
    base.operation(
        SHOW, base.PROJECT_READER_OR_ADMIN, 'Show a snapshot.', 'GET', PATH,
        base.LEGACY_MEMBER),
    base.operation(
        DELETE, base.PROJECT_MEMBER_OR_ADMIN, 'Delete a snapshot.',
        'DELETE', PATH, base.LEGACY_MEMBER),
    base.operation(
        REVERT, base.PROJECT_MEMBER_OR_ADMIN,
        'Revert the instance to a snapshot.', 'POST', PATH + '/revert',
        base.LEGACY_MEMBER),
    base.operation(
        EXPORT, base.PROJECT_MEMBER_OR_ADMIN,
        'Export a snapshot to a file on the compute host.', 'POST',
        PATH + '/export', base.LEGACY_MEMBER),
]


def list_rules():
    return rules
