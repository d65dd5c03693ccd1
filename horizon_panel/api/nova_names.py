"""Instance names from Nova, when the cloud has a compute service.

The lightsnap API knows instances by uuid only; names are a courtesy, so
any failure here leaves the uuid in place.
"""

import logging

from openstack_dashboard import api

LOG = logging.getLogger(__name__)


def server_names(request):
    if not api.base.is_service_enabled(request, 'compute'):
        return {}
    try:
        servers, _more = api.nova.server_list(request)
    except Exception as exc:
        LOG.info('no instance names from Nova: %s', exc)
        return {}
    return {s.id: s.name for s in servers}


def server_name(request, uuid):
    if not api.base.is_service_enabled(request, 'compute'):
        return None
    try:
        return api.nova.server_get(request, uuid).name
    except Exception as exc:
        LOG.info('no name from Nova for %s: %s', uuid, exc)
        return None
