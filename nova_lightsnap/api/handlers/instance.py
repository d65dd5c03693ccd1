"""/v1/instances: the light-snapshot state of the caller's instances."""

import oslo_messaging as messaging

from nova_lightsnap.api import errors
from nova_lightsnap.api import lookup
from nova_lightsnap.api import notifications
from nova_lightsnap.api import policy
from nova_lightsnap.api import schemas
from nova_lightsnap.api import sync
from nova_lightsnap.api import util
from nova_lightsnap.api import views
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import tasks
from nova_lightsnap.engine import errors as engine_errors


def show(uuid):
    row = db_api.instance_get(uuid)
    return views.instance(row, db_api.snapshot_list(uuid))


def claim(req, uuids, op):
    try:
        tasks.claim(uuids, op, lookup.service(req).conf.api.task_stale_after)
    except tasks.Busy as exc:
        raise errors.Conflict(str(exc))


def list_instances(req):
    project_id = lookup.list_scope(req, 'lightsnap:instances:list')
    result = []
    for found in lookup.servers_of(req, project_id):
        lookup.record(req, found)
        result.append(show(found.uuid))
    return util.json_response(200, {'instances': result})


def get_instance(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, 'lightsnap:instances:show', row.project_id)
    return util.json_response(200, {'instance': show(uuid)})


def update_instance(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, 'lightsnap:instances:update', row.project_id)
    body = util.extract_json(req, schemas.INSTANCE_UPDATE)
    if 'store' in body:
        policy.authorize(req, 'lightsnap:instances:update:store',
                         row.project_id)
    if 'enabled' in body or 'store' in body:
        lookup.require_host(found)
        _set_flags(req, found, body.get('enabled'), body.get('store'))
    if 'daily' in body:
        db_api.instance_update(uuid, snapshot_daily=body['daily'])
    return util.json_response(200, {'instance': show(uuid)})


def _set_flags(req, found, enable, store):
    """A short call the request waits for, under the instance's task so
    that it never runs beside a long operation."""
    svc = lookup.service(req)
    claim(req, [found.uuid], 'update')
    try:
        data = svc.client.set_flags(
            svc.rpc_context(lookup.context(req)), found.host, found.uuid,
            enable=enable, store=store)
        sync.apply_instance(found.uuid, data)
    except (messaging.MessagingException,
            engine_errors.LightSnapError) as exc:
        raise lookup.http_error(exc, found.host, svc.conf.api.rpc_timeout)
    finally:
        tasks.finish([found.uuid])


def commit_all(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, 'lightsnap:instances:commit_all', row.project_id)
    util.extract_json(req, schemas.EMPTY)
    lookup.require_host(found)
    lookup.require_enabled(row)
    claim(req, [uuid], 'commit-all')
    svc = lookup.service(req)
    rpc_ctxt = svc.rpc_context(lookup.context(req))

    def call():
        return svc.client.commit_all(
            rpc_ctxt, found.host, uuid,
            timeout=svc.conf.api.operation_timeout)

    body = {'instance': show(uuid)}
    # The instance's task shows the outcome; the refresh that the worker
    # does after any operation writes the rest.
    worker.Operation(svc, found.host, [uuid], rpc_ctxt, call,
                     apply=lambda result, ctx: None,
                     fail=lambda message, ctx: None,
                     notice=notifications.instance(
                         svc, rpc_ctxt, 'commit_all', uuid,
                         found.host)).start()
    return util.json_response(202, body)
