"""GET /: the versions of the API."""

from nova_lightsnap.api import util

VERSIONS = {'versions': [{'id': 'v1', 'status': 'CURRENT',
                          'links': [{'rel': 'self', 'href': '/v1'}]}]}


def list_versions(req):
    return util.json_response(200, VERSIONS)


def show_version(req):
    return util.json_response(200, {'version': VERSIONS['versions'][0]})
