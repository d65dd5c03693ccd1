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

"""Policies of /v1/sets."""

from nova_lightsnap.api.policies import base

PREFIX = 'lightsnap:sets:%s'
CREATE = PREFIX % 'create'
LIST = PREFIX % 'list'
SHOW = PREFIX % 'show'
RESTORE = PREFIX % 'restore'
DELETE = PREFIX % 'delete'

COLLECTION = '/v1/sets'
PATH = COLLECTION + '/{id}'

rules = [
    base.operation(
        CREATE, base.PROJECT_MEMBER_OR_ADMIN, 'Take a snapshot set.', 'POST',
        COLLECTION, base.LEGACY_MEMBER),
    base.operation(
        LIST, base.PROJECT_READER_OR_ADMIN, 'List snapshot sets.', 'GET',
        COLLECTION, base.LEGACY_MEMBER),
    base.operation(
        SHOW, base.PROJECT_READER_OR_ADMIN, 'Show a snapshot set.', 'GET',
        PATH, base.LEGACY_MEMBER),
    base.operation(
        RESTORE, base.PROJECT_MEMBER_OR_ADMIN, 'Restore a snapshot set.',
        'POST', PATH + '/restore', base.LEGACY_MEMBER),
    base.operation(
        DELETE, base.PROJECT_MEMBER_OR_ADMIN, 'Delete a snapshot set.',
        'DELETE', PATH, base.LEGACY_MEMBER),
]


def list_rules():
    return rules
