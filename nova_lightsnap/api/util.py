"""Request bodies in, JSON responses out."""

import json

import jsonschema
import webob

from nova_lightsnap.api import errors


def json_response(status, body, headers=None):
    resp = webob.Response(status=status, content_type='application/json',
                          charset='utf-8')
    if headers:
        resp.headers.update(headers)
    resp.text = json.dumps(body, sort_keys=True)
    return resp


def _path(error):
    parts = [str(p) for p in error.absolute_path]
    return '/'.join(parts) if parts else 'the body'


def _message(error):
    if error.validator == 'additionalProperties':
        extra = sorted(set(error.instance) -
                       set(error.schema.get('properties', {})))
        return 'unknown field(s) in %s: %s' % (_path(error),
                                               ', '.join(extra))
    if error.validator == 'required':
        return error.message.replace("'", '"')
    return '%s: %s' % (_path(error), error.message)


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
            raise errors.UnsupportedMediaType(
                'the body must be JSON (Content-Type: application/json), '
                'not %s' % req.content_type)
        try:
            data = json.loads(raw.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.BadRequest('the body is not valid JSON: %s' % exc)
        except RecursionError:
            raise errors.BadRequest('the body is not valid JSON: nested '
                                    'too deeply')
    validator = jsonschema.Draft7Validator(schema)
    problems = sorted(validator.iter_errors(data),
                      key=lambda e: list(e.absolute_path))
    if problems:
        raise errors.BadRequest('; '.join(_message(e) for e in problems))
    return data


def query_flag(req, name):
    value = req.GET.get(name)
    if value is None:
        return False
    if value.lower() in ('1', 'true', 'yes'):
        return True
    if value.lower() in ('0', 'false', 'no'):
        return False
    raise errors.BadRequest('query parameter %s must be true or false'
                            % name)
