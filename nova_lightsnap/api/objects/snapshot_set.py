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

"""Snapshot sets, one point in time across several instances of one
compute host: their records, and the long operations on them (create,
restore, delete), claimed on every member at once."""

from nova_lightsnap.api import notifications
from nova_lightsnap.api.objects import compute
from nova_lightsnap.api.objects import instance
from nova_lightsnap.api.objects import snapshot
from nova_lightsnap.api import quota
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap import exception


def members(set_id):
    return sorted({s.instance_uuid
                   for s in db_api.snapshot_list(set_id=set_id)})


def get(set_id):
    """(row, member uuids): what the set's view shows."""
    return db_api.snapshot_set_get(set_id), members(set_id)


def list_of(project_id):
    """[(row, member uuids)] of ``project_id`` (None: every project)."""
    return [(row, members(row.id))
            for row in db_api.snapshot_set_list(project_id)]


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
            raise exception.Duplicate('your project already has a snapshot '
                                      'set named %r' % name)
        for snap in db_api.snapshot_list(set_id=old.id, context=ctx):
            if snap.state == models.ERROR:
                db_api.snapshot_delete(snap.instance_uuid, snap.name,
                                       context=ctx)
        db_api.snapshot_set_delete(old.id, context=ctx)


def check_name(name):
    return snapshot.check_name(name, 'set name')


def create(svc, ctx, name, instances, quiesce='auto'):
    """Start taking set ``name`` of ``instances`` ([(found, row)], in the
    order asked, the caller's to see); the set as it starts."""
    for found, row in instances:
        snapshot.require_ready(svc, ctx, found, row)
    hosts = sorted({found.host for found, row in instances})
    if len(hosts) > 1:
        raise exception.Invalid('the instances of a set must run on one '
                                'compute host; these run on %s'
                                % ', '.join(hosts))
    host = hosts[0]
    uuids = [found.uuid for found, row in instances]
    # One snapshot per member, each counted for its instance's project.
    quota_members = [(found.uuid, row.project_id) for found, row in instances]
    checked = quota.check(svc, quota_members)
    dbctx = db_api.RequestContext()
    with db_api.writer(dbctx):
        quota.hold(quota_members, dbctx)
        instance.claim(svc, uuids, 'set-create', context=dbctx)
        _drop_failed(ctx.project_id, name, dbctx)
        snapset = db_api.snapshot_set_create(
            name, ctx.project_id, context=dbctx, state=models.CREATING)
        for uuid in uuids:
            db_api.snapshot_create(uuid, name, context=dbctx,
                                   state=models.CREATING,
                                   set_id=snapset.id)
        quota.recheck(checked, quota_members, dbctx)
    rpc_ctxt = svc.rpc_context(ctx)

    def call():
        return svc.client.create_set(
            rpc_ctxt, host, name, uuids, quiesce=quiesce,
            timeout=svc.conf.api.operation_timeout)

    def apply(result, ctx):
        db_api.snapshot_set_update(snapset.id, context=ctx,
                                   state=models.AVAILABLE, error=None)

    started = get(snapset.id)
    worker.Operation(svc, host, uuids, rpc_ctxt, call, apply,
                     _fail(snapset.id, True),
                     notice=notifications.snapshot_set(
                         svc, rpc_ctxt, 'create', snapset.id,
                         host)).start()
    return started


def _start(svc, ctx, row, found, op, state, call, apply):
    """Claim the members (``found``: their servers), put the set in
    ``state``, run ``call(rpc_ctxt, host, uuids)``."""
    uuids = [f.uuid for f in found]
    hosts = sorted({f.host for f in found if f.host})
    if len(hosts) != 1:
        raise exception.Conflict('the instances of set %r no longer run on '
                                 'one compute host (%s)'
                                 % (row.name, ', '.join(hosts) or 'none'))
    host = hosts[0]
    dbctx = db_api.RequestContext()
    with db_api.writer(dbctx):
        instance.claim(svc, uuids, op, context=dbctx)
        # The members' claims hold, so the set's own state cannot be
        # another running operation's: any state may start this one.
        db_api.snapshot_set_update(row.id, context=dbctx, state=state,
                                   error=None)
    rpc_ctxt = svc.rpc_context(ctx)
    started = get(row.id)
    worker.Operation(
        svc, host, uuids, rpc_ctxt,
        lambda: call(rpc_ctxt, host, uuids),
        lambda result, ctx: apply(ctx),
        _fail(row.id, False),
        # The task set-restore is the action restore of a snapshot_set.
        notice=notifications.snapshot_set(svc, rpc_ctxt,
                                          op.split('-', 1)[1], row.id,
                                          host)).start()
    return started


def restore(svc, ctx, row, found):
    def call(rpc_ctxt, host, uuids):
        return svc.client.restore_set(
            rpc_ctxt, host, row.name, uuids,
            timeout=svc.conf.api.operation_timeout)

    def apply(ctx):
        db_api.snapshot_set_update(row.id, context=ctx,
                                   state=models.AVAILABLE)

    return _start(svc, ctx, row, found, 'set-restore', models.RESTORING,
                  call, apply)


def delete(svc, ctx, row, found):
    def call(rpc_ctxt, host, uuids):
        return compute.unless_missing(
            lambda: svc.client.delete_set(
                rpc_ctxt, host, row.name, uuids,
                timeout=svc.conf.api.operation_timeout),
            {'deleted': row.name, 'members': uuids})

    def apply(ctx):
        for snap in db_api.snapshot_list(set_id=row.id, context=ctx):
            db_api.snapshot_delete(snap.instance_uuid, snap.name,
                                   context=ctx)
        db_api.snapshot_set_delete(row.id, context=ctx)

    return _start(svc, ctx, row, found, 'set-delete', models.DELETING,
                  call, apply)
