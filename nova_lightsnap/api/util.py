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

"""Request bodies in, JSON responses out."""

import json

import jsonschema
import webob

from nova_lightsnap import exception
from nova_lightsnap import names


def json_response(status, body, headers=None):
    resp = webob.Response(status=status, content_type='application/json',
                          charset='utf-8')
    if headers:
        resp.headers.update(headers)
    resp.text = json.dumps(body, sort_keys=True)
    return resp


def _path(error):
    parts = [names.clip(p) for p in error.absolute_path]
    return '/'.join(parts) if parts else 'the body'


# Unknown fields named in a message, at most.
SHOWN_FIELDS = 5


def _message(error):
    if error.validator == 'additionalProperties':
        extra = sorted(set(error.instance) -
                       set(error.schema.get('properties', {})))
        shown = [names.clip(e) for e in extra[:SHOWN_FIELDS]]
        if len(extra) > SHOWN_FIELDS:
            shown.append('and %d more' % (len(extra) - SHOWN_FIELDS))
        return 'unknown field(s) in %s: %s' % (_path(error),
                                               ', '.join(shown))
    if error.validator == 'required':
        return error.message.replace("'", '"')
    # jsonschema's messages quote the refused value whole ("'xxx...' is
    # too long"): show only its start.
    value = repr(error.instance)
    return '%s: %s' % (_path(error), error.message.replace(
        value, names.clip(value)))


def extract_json(req, schema):
    """The request's JSON object, valid against ``schema``, or 400.

    An empty body counts as ``{}``: the actions (revert, restore,
    commit-all) take no fields.
    """
    raw = req.body
    if not raw.strip():
        data = {}
    else:
        if req.content_type not in ('application/json', ''):
            raise exception.UnsupportedMediaType(
                'the body must be JSON (Content-Type: application/json), '
                'not %s' % names.clip(req.content_type))
        try:
            data = json.loads(raw.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as exc:
            raise exception.Invalid('the body is not valid JSON: %s' % exc)
        except RecursionError:
            raise exception.Invalid('the body is not valid JSON: nested '
                                    'too deeply')
    validator = jsonschema.Draft7Validator(schema)
    problems = sorted(validator.iter_errors(data),
                      key=lambda e: list(e.absolute_path))
    if problems:
        raise exception.Invalid('; '.join(_message(e) for e in problems))
    return data


def query_flag(req, name):
    value = req.GET.get(name)
    if value is None:
        return False
    if value.lower() in ('1', 'true', 'yes'):
        return True
    if value.lower() in ('0', 'false', 'no'):
        return False
    raise exception.Invalid('query parameter %s must be true or false'
                            % name)
