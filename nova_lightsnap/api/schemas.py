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

"""JSON schemas of the request bodies. Unknown fields are refused
(``additionalProperties: false``); names are checked further by
nova_lightsnap.names."""

from nova_lightsnap import names

NAME = {'type': 'string', 'minLength': 1, 'maxLength': names.MAX_NAME}
QUIESCE = {'type': 'string', 'enum': ['auto', 'required', 'off']}
UUID = {'type': 'string',
        'pattern': '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   '[0-9a-f]{12}$'}

EMPTY = {'type': 'object', 'properties': {}, 'additionalProperties': False}

INSTANCE_UPDATE = {
    'type': 'object',
    'properties': {'enabled': {'type': 'boolean'},
                   'daily': {'type': 'boolean'},
                   'store': {'type': 'boolean'}},
    'additionalProperties': False,
    'minProperties': 1,
}

SNAPSHOT_CREATE = {
    'type': 'object',
    'properties': {'name': NAME, 'quiesce': QUIESCE},
    'additionalProperties': False,
}

SNAPSHOT_EXPORT = {
    'type': 'object',
    'properties': {'file': {'type': 'string', 'minLength': 1,
                            'maxLength': 255}},
    'required': ['file'],
    'additionalProperties': False,
}

SET_CREATE = {
    'type': 'object',
    'properties': {'name': NAME,
                   'instances': {'type': 'array', 'items': UUID,
                                 'minItems': 1, 'maxItems': 64,
                                 'uniqueItems': True},
                   'quiesce': QUIESCE},
    'required': ['name', 'instances'],
    'additionalProperties': False,
}
