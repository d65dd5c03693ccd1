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

"""The light snapshots of an instance: their records, and the long
operations on them (create, delete, revert, export), each claimed and
recorded in one transaction, then run by a worker."""

import datetime

from nova_lightsnap.api import notifications
from nova_lightsnap.api.objects import compute
from nova_lightsnap.api.objects import instance
from nova_lightsnap.api import quota
from nova_lightsnap.api import sync
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap import exception
from nova_lightsnap import names


def check_name(name, what='snapshot name'):
    try:
        return names.check_snapshot_name(name, what)
    except exception.InvalidInput as exc:
        raise exception.Invalid(str(exc))


def _not_found(uuid, name):
    # GET takes the name as the path gives it, unchecked.
    return exception.NotFound('instance %s has no snapshot named %r'
                              % (uuid, names.clip(name, names.MAX_NAME)))


def get(uuid, name):
    try:
        return db_api.snapshot_get(uuid, name)
    except exception.NotFound:
        raise _not_found(uuid, name)


def list_of(uuid):
    return db_api.snapshot_list(uuid)


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
        except exception.NotFound:
            pass
    return fail


def _claim_new(svc, uuid, project_id, name):
    """The instance's task and the snapshot's row in state creating, in
    one transaction, within the quotas."""
    members = [(uuid, project_id)]
    checked = quota.check(svc, members)
    ctx = db_api.RequestContext()
    with db_api.writer(ctx):
        quota.hold(members, ctx)
        instance.claim(svc, [uuid], 'create', context=ctx)
        _insert_new(uuid, name, ctx)
        quota.recheck(checked, members, ctx)


def _insert_new(uuid, name, ctx):
    try:
        old = db_api.snapshot_get(uuid, name, context=ctx)
    except exception.NotFound:
        db_api.snapshot_create(uuid, name, context=ctx,
                               state=models.CREATING)
        return
    # Under the claim nothing else runs on the instance: a row still
    # "creating" was left by a worker that died.
    if old.state not in (models.ERROR, models.CREATING):
        raise exception.Duplicate(
            'instance %s already has a snapshot named %r' % (uuid, name))
    # A retry of a create that failed.
    db_api.snapshot_update(uuid, name, context=ctx, state=models.CREATING,
                           progress=0, error=None, set_id=None)


def create(svc, ctx, found, row, name=None, quiesce='auto'):
    """Start taking a snapshot; its row, in state creating."""
    if name is not None:
        check_name(name)
    require_ready(svc, ctx, found, row)
    uuid = found.uuid
    if name is None:
        name = _default_name(uuid)
    _claim_new(svc, uuid, row.project_id, name)
    rpc_ctxt = svc.rpc_context(ctx)

    def call():
        return svc.client.create_snapshot(
            rpc_ctxt, found.host, uuid, name=name, quiesce=quiesce,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, ctx):
        db_api.snapshot_update(uuid, name, context=ctx,
                               **sync.snapshot_values(result, {}))

    started = db_api.snapshot_get(uuid, name)
    worker.Operation(svc, found.host, [uuid], rpc_ctxt, call, apply,
                     _fail(uuid, name), _record_progress(uuid, name),
                     notifications.snapshot(svc, rpc_ctxt, 'create', uuid,
                                            name, found.host)).start()
    return started


def require_ready(svc, ctx, found, row):
    instance.require_host(found)
    instance.require_enabled(instance.confirmed(svc, ctx, found, row))


def _start(svc, ctx, found, row, name, op, state, call, apply):
    """Claim the instance, put the snapshot in ``state``, run
    ``call(rpc_ctxt)``; the snapshot's row as it starts."""
    uuid = found.uuid
    check_name(name)
    get(uuid, name)
    require_ready(svc, ctx, found, row)
    dbctx = db_api.RequestContext()
    try:
        with db_api.writer(dbctx):
            instance.claim(svc, [uuid], op, context=dbctx)
            # Re-read under the claim: an operation that just ended may
            # have changed it. Any transitional state it still shows was
            # left by a worker that died (nothing else runs now).
            snap = db_api.snapshot_get(uuid, name, context=dbctx)
            db_api.snapshot_update(uuid, name, context=dbctx, state=state,
                                   progress=0, error=None)
    except exception.NotFound:
        raise exception.NotFound('instance %s has no snapshot named %r'
                                 % (uuid, name))
    rpc_ctxt = svc.rpc_context(ctx)
    started = db_api.snapshot_get(uuid, name)
    worker.Operation(
        svc, found.host, [uuid], rpc_ctxt,
        lambda: call(rpc_ctxt),
        lambda result, ctx: apply(result, snap, ctx),
        _fail(uuid, name), _record_progress(uuid, name),
        notifications.snapshot(svc, rpc_ctxt, op, uuid, name,
                               found.host)).start()
    return started


def delete(svc, ctx, found, row, name):
    uuid = found.uuid

    def call(rpc_ctxt):
        return compute.unless_missing(
            lambda: svc.client.delete_snapshot(
                rpc_ctxt, found.host, uuid, name,
                timeout=svc.conf.api.operation_timeout),
            {'deleted': name, 'stored': False})

    def apply(result, before, ctx):
        if result.get('stored'):
            db_api.snapshot_update(uuid, name, context=ctx,
                                   state=models.STORED, progress=100)
        else:
            db_api.snapshot_delete(uuid, name, context=ctx)

    return _start(svc, ctx, found, row, name, 'delete', models.DELETING,
                  call, apply)


def _back_to(uuid, name, before, ctx):
    state = before.state if before.state != models.ERROR else \
        models.AVAILABLE
    db_api.snapshot_update(uuid, name, context=ctx, state=state,
                           progress=100)


def revert(svc, ctx, found, row, name):
    uuid = found.uuid

    def call(rpc_ctxt):
        return svc.client.revert_snapshot(
            rpc_ctxt, found.host, uuid, name,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, before, ctx):
        _back_to(uuid, name, before, ctx)

    return _start(svc, ctx, found, row, name, 'revert', models.REVERTING,
                  call, apply)


def export(svc, ctx, found, row, name, file):
    uuid = found.uuid
    try:
        names.check_basename(file, 'export file name')
    except exception.InvalidInput as exc:
        raise exception.Invalid(str(exc))

    def call(rpc_ctxt):
        return svc.client.export_snapshot(
            rpc_ctxt, found.host, uuid, name, file,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, before, ctx):
        _back_to(uuid, name, before, ctx)

    return _start(svc, ctx, found, row, name, 'export', models.EXPORTING,
                  call, apply)
