"""/v1/sets: snapshot sets, one point in time across several instances
of one compute host."""

from nova_lightsnap.api import errors
from nova_lightsnap.api import lookup
from nova_lightsnap.api import notifications
from nova_lightsnap.api import policy
from nova_lightsnap.api import schemas
from nova_lightsnap.api import util
from nova_lightsnap.api import views
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks
from nova_lightsnap.engine import errors as engine_errors
from nova_lightsnap.engine import names


def show(set_id):
    return views.snapshot_set(db_api.snapshot_set_get(set_id),
                              lookup.set_members(set_id))


def _fail(set_id, snapshots_too):
    def fail(message, ctx):
        db_api.snapshot_set_update(set_id, context=ctx, state=models.ERROR,
                                   error=message)
        if snapshots_too:
            for snap in db_api.snapshot_list(set_id=set_id, context=ctx):
                if snap.state == models.CREATING:
                    db_api.snapshot_update(snap.instance_uuid, snap.name,
                                           context=ctx, state=models.ERROR,
                                           error=message)
    return fail


def _drop_failed(project_id, name, ctx):
    """A set whose creation failed may be taken again under its name."""
    for old in db_api.snapshot_set_list(project_id, context=ctx):
        if old.name != name:
            continue
        if old.state != models.ERROR:
            raise db_api.Duplicate('your project already has a snapshot '
                                   'set named %r' % name)
        for snap in db_api.snapshot_list(set_id=old.id, context=ctx):
            if snap.state == models.ERROR:
                db_api.snapshot_delete(snap.instance_uuid, snap.name,
                                       context=ctx)
        db_api.snapshot_set_delete(old.id, context=ctx)


def create(req):
    ctx = lookup.context(req)
    policy.authorize(req, 'lightsnap:sets:create', ctx.project_id)
    body = util.extract_json(req, schemas.SET_CREATE)
    try:
        name = names.check_snapshot_name(body['name'], 'set name')
    except engine_errors.InvalidInput as exc:
        raise errors.BadRequest(str(exc))
    uuids = body['instances']
    quiesce = body.get('quiesce', 'auto')
    members = [lookup.instance(req, uuid) for uuid in uuids]
    for found, row in members:
        policy.authorize(req, 'lightsnap:snapshots:create', row.project_id)
        lookup.require_host(found)
        lookup.require_enabled(row)
    hosts = sorted({found.host for found, row in members})
    if len(hosts) > 1:
        raise errors.BadRequest('the instances of a set must run on one '
                                'compute host; these run on %s'
                                % ', '.join(hosts))
    host = hosts[0]
    svc = lookup.service(req)
    dbctx = db_api.RequestContext()
    try:
        with db_api.writer(dbctx):
            tasks.claim(uuids, 'set-create', svc.conf.api.task_stale_after,
                        context=dbctx)
            _drop_failed(ctx.project_id, name, dbctx)
            snapset = db_api.snapshot_set_create(
                name, ctx.project_id, context=dbctx, state=models.CREATING)
            for uuid in uuids:
                db_api.snapshot_create(uuid, name, context=dbctx,
                                       state=models.CREATING,
                                       set_id=snapset.id)
    except (tasks.Busy, db_api.Duplicate) as exc:
        raise errors.Conflict(str(exc))
    rpc_ctxt = svc.rpc_context(ctx)

    def call():
        return svc.client.create_set(
            rpc_ctxt, host, name, uuids, quiesce=quiesce,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, ctx):
        db_api.snapshot_set_update(snapset.id, context=ctx,
                                   state=models.AVAILABLE, error=None)

    response = {'set': show(snapset.id)}
    worker.Operation(svc, host, uuids, rpc_ctxt, call, apply,
                     _fail(snapset.id, True),
                     notice=notifications.snapshot_set(
                         svc, rpc_ctxt, 'create', snapset.id,
                         host)).start()
    return util.json_response(202, response)


def list_sets(req):
    rows = db_api.snapshot_set_list(
        lookup.list_scope(req, 'lightsnap:sets:list'))
    return util.json_response(200, {'sets': [
        views.snapshot_set(r, lookup.set_members(r.id)) for r in rows]})


def get_set(req, set_id):
    row = lookup.snapshot_set(req, set_id)
    policy.authorize(req, 'lightsnap:sets:show', row.project_id)
    # The row as looked up: a deletion that ends meanwhile must not turn
    # a GET into a 500 (the next GET says 404).
    return util.json_response(200, {'set': views.snapshot_set(
        row, lookup.set_members(row.id))})


def _start(req, set_id, rule, op, state, call, apply):
    row = lookup.snapshot_set(req, set_id)
    policy.authorize(req, rule, row.project_id)
    util.extract_json(req, schemas.EMPTY)
    uuids = lookup.set_members(row.id)
    found = [lookup.instance(req, uuid)[0] for uuid in uuids]
    hosts = sorted({f.host for f in found if f.host})
    if len(hosts) != 1:
        raise errors.Conflict('the instances of set %r no longer run on '
                              'one compute host (%s)'
                              % (row.name, ', '.join(hosts) or 'none'))
    host = hosts[0]
    svc = lookup.service(req)
    dbctx = db_api.RequestContext()
    try:
        with db_api.writer(dbctx):
            tasks.claim(uuids, op, svc.conf.api.task_stale_after,
                        context=dbctx)
            # The members' claims hold, so the set's own state cannot be
            # another running operation's: any state may start this one.
            db_api.snapshot_set_update(row.id, context=dbctx, state=state,
                                       error=None)
    except tasks.Busy as exc:
        raise errors.Conflict(str(exc))
    rpc_ctxt = svc.rpc_context(lookup.context(req))
    response = {'set': show(row.id)}
    worker.Operation(
        svc, host, uuids, rpc_ctxt,
        lambda: call(svc, rpc_ctxt, host, row.name, uuids),
        lambda result, ctx: apply(row, ctx),
        _fail(row.id, False),
        # The task set-restore is the action restore of a snapshot_set.
        notice=notifications.snapshot_set(svc, rpc_ctxt,
                                          op.split('-', 1)[1], row.id,
                                          host)).start()
    return util.json_response(202, response)


def restore(req, set_id):
    def call(svc, rpc_ctxt, host, name, uuids):
        return svc.client.restore_set(
            rpc_ctxt, host, name, uuids,
            timeout=svc.conf.api.operation_timeout)

    def apply(row, ctx):
        db_api.snapshot_set_update(row.id, context=ctx,
                                   state=models.AVAILABLE)

    return _start(req, set_id, 'lightsnap:sets:restore', 'set-restore',
                  models.RESTORING, call, apply)


def delete(req, set_id):
    def call(svc, rpc_ctxt, host, name, uuids):
        return lookup.unless_missing(
            lambda: svc.client.delete_set(
                rpc_ctxt, host, name, uuids,
                timeout=svc.conf.api.operation_timeout),
            {'deleted': name, 'members': uuids})

    def apply(row, ctx):
        for snap in db_api.snapshot_list(set_id=row.id, context=ctx):
            db_api.snapshot_delete(snap.instance_uuid, snap.name,
                                   context=ctx)
        db_api.snapshot_set_delete(row.id, context=ctx)

    return _start(req, set_id, 'lightsnap:sets:delete', 'set-delete',
                  models.DELETING, call, apply)
