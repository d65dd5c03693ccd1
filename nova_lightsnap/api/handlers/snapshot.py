"""/v1/instances/{uuid}/snapshots: the light snapshots of an instance."""

import datetime

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
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks
from nova_lightsnap.engine import errors as engine_errors
from nova_lightsnap.engine import names

def _check_name(name, what='snapshot name'):
    try:
        return names.check_snapshot_name(name, what)
    except engine_errors.InvalidInput as exc:
        raise errors.BadRequest(str(exc))


def _snapshot(uuid, name):
    try:
        return db_api.snapshot_get(uuid, name)
    except db_api.NotFound:
        # GET takes the name as the path gives it, unchecked.
        raise errors.NotFound('instance %s has no snapshot named %r'
                              % (uuid, names.clip(name, names.MAX_NAME)))


def _default_name(uuid):
    base = datetime.datetime.utcnow().strftime('snap-%Y%m%dT%H%M%SZ')
    taken = {s.name for s in db_api.snapshot_list(uuid)}
    name, n = base, 1
    while name in taken:
        n += 1
        name = '%s-%d' % (base, n)
    return name


def _record_progress(uuid, name):
    return lambda percent: db_api.snapshot_update(uuid, name,
                                                  progress=percent)


def _fail(uuid, name):
    def fail(message, ctx):
        try:
            db_api.snapshot_update(uuid, name, context=ctx,
                                   state=models.ERROR, error=message)
        except db_api.NotFound:
            pass
    return fail


def create(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, 'lightsnap:snapshots:create', row.project_id)
    body = util.extract_json(req, schemas.SNAPSHOT_CREATE)
    name = body.get('name')
    if name is not None:
        _check_name(name)
    quiesce = body.get('quiesce', 'auto')
    lookup.require_host(found)
    lookup.require_enabled(row)
    if name is None:
        name = _default_name(uuid)
    svc = lookup.service(req)
    ctx = db_api.RequestContext()
    try:
        with db_api.writer(ctx):
            tasks.claim([uuid], 'create', svc.conf.api.task_stale_after,
                        context=ctx)
            try:
                old = db_api.snapshot_get(uuid, name, context=ctx)
            except db_api.NotFound:
                db_api.snapshot_create(uuid, name, context=ctx,
                                       state=models.CREATING)
            else:
                # Under the claim nothing else runs on the instance: a row
                # still "creating" was left by a worker that died.
                if old.state not in (models.ERROR, models.CREATING):
                    raise db_api.Duplicate(
                        'instance %s already has a snapshot named %r'
                        % (uuid, name))
                # A retry of a create that failed.
                db_api.snapshot_update(uuid, name, context=ctx,
                                       state=models.CREATING, progress=0,
                                       error=None, set_id=None)
    except (tasks.Busy, db_api.Duplicate) as exc:
        raise errors.Conflict(str(exc))
    rpc_ctxt = svc.rpc_context(lookup.context(req))

    def call():
        return svc.client.create_snapshot(
            rpc_ctxt, found.host, uuid, name=name, quiesce=quiesce,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, ctx):
        db_api.snapshot_update(uuid, name, context=ctx,
                               **sync.snapshot_values(result, {}))

    body = {'snapshot': views.snapshot(db_api.snapshot_get(uuid, name))}
    worker.Operation(svc, found.host, [uuid], rpc_ctxt, call, apply,
                     _fail(uuid, name), _record_progress(uuid, name),
                     notifications.snapshot(svc, rpc_ctxt, 'create', uuid,
                                            name, found.host)).start()
    return util.json_response(202, body)


def list_snapshots(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, 'lightsnap:snapshots:list', row.project_id)
    return util.json_response(200, {'snapshots': [
        views.snapshot(s) for s in db_api.snapshot_list(uuid)]})


def get_snapshot(req, uuid, name):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, 'lightsnap:snapshots:show', row.project_id)
    return util.json_response(
        200, {'snapshot': views.snapshot(_snapshot(uuid, name))})


def _start(req, uuid, name, rule, op, state, call, apply, schema,
           check=None):
    """Claim the instance, put the snapshot in ``state``, run ``call``."""
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, rule, row.project_id)
    body = util.extract_json(req, schema)
    if check is not None:
        check(body)
    _check_name(name)
    snap = _snapshot(uuid, name)
    lookup.require_host(found)
    lookup.require_enabled(row)
    svc = lookup.service(req)
    ctx = db_api.RequestContext()
    try:
        with db_api.writer(ctx):
            tasks.claim([uuid], op, svc.conf.api.task_stale_after,
                        context=ctx)
            # Re-read under the claim: an operation that just ended may
            # have changed it. Any transitional state it still shows was
            # left by a worker that died (nothing else runs now).
            snap = db_api.snapshot_get(uuid, name, context=ctx)
            db_api.snapshot_update(uuid, name, context=ctx, state=state,
                                   progress=0, error=None)
    except db_api.NotFound:
        raise errors.NotFound('instance %s has no snapshot named %r'
                              % (uuid, name))
    except tasks.Busy as exc:
        raise errors.Conflict(str(exc))
    rpc_ctxt = svc.rpc_context(lookup.context(req))
    response = {'snapshot': views.snapshot(db_api.snapshot_get(uuid, name))}
    worker.Operation(
        svc, found.host, [uuid], rpc_ctxt,
        lambda: call(svc, rpc_ctxt, found.host, body),
        lambda result, ctx: apply(result, snap, ctx),
        _fail(uuid, name), _record_progress(uuid, name),
        notifications.snapshot(svc, rpc_ctxt, op, uuid, name,
                               found.host)).start()
    return util.json_response(202, response)


def delete(req, uuid, name):
    def call(svc, rpc_ctxt, host, body):
        return lookup.unless_missing(
            lambda: svc.client.delete_snapshot(
                rpc_ctxt, host, uuid, name,
                timeout=svc.conf.api.operation_timeout),
            {'deleted': name, 'stored': False})

    def apply(result, before, ctx):
        if result.get('stored'):
            db_api.snapshot_update(uuid, name, context=ctx,
                                   state=models.STORED, progress=100)
        else:
            db_api.snapshot_delete(uuid, name, context=ctx)

    return _start(req, uuid, name, 'lightsnap:snapshots:delete', 'delete',
                  models.DELETING, call, apply, schemas.EMPTY)


def _back_to(uuid, name, before, ctx):
    state = before.state if before.state != models.ERROR else \
        models.AVAILABLE
    db_api.snapshot_update(uuid, name, context=ctx, state=state,
                           progress=100)


def revert(req, uuid, name):
    def call(svc, rpc_ctxt, host, body):
        return svc.client.revert_snapshot(
            rpc_ctxt, host, uuid, name,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, before, ctx):
        _back_to(uuid, name, before, ctx)

    return _start(req, uuid, name, 'lightsnap:snapshots:revert', 'revert',
                  models.REVERTING, call, apply, schemas.EMPTY)


def export(req, uuid, name):
    def call(svc, rpc_ctxt, host, body):
        return svc.client.export_snapshot(
            rpc_ctxt, host, uuid, name, body['file'],
            timeout=svc.conf.api.operation_timeout)

    def apply(result, before, ctx):
        _back_to(uuid, name, before, ctx)

    def check(body):
        try:
            names.check_basename(body['file'], 'export file name')
        except engine_errors.InvalidInput as exc:
            raise errors.BadRequest(str(exc))

    return _start(req, uuid, name, 'lightsnap:snapshots:export', 'export',
                  models.EXPORTING, call, apply, schemas.SNAPSHOT_EXPORT,
                  check)
