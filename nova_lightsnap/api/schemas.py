"""JSON schemas of the request bodies. Unknown fields are refused
(``additionalProperties: false``); names are checked further by
nova_lightsnap.engine.names."""

from nova_lightsnap.engine import names

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
