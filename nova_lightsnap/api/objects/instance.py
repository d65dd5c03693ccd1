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

"""The light-snapshot record of an instance: created and read from its
compute on first sight, refreshed per request, and the operations on the
instance as a whole (flags, daily schedule, commit-all)."""

import time

from nova_lightsnap.api import notifications
from nova_lightsnap.api.objects import compute
from nova_lightsnap.api import sync
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks
from nova_lightsnap import exception

UNREAD = 'not read from the compute yet (it will be at the next request):'


def get(uuid):
    """(row, snapshots): what the instance's view shows."""
    return db_api.instance_get(uuid), db_api.snapshot_list(uuid)


def claim(svc, uuids, op, context=None):
    """The instances' task, or InstanceBusy (409)."""
    tasks.claim(uuids, op, svc.conf.api.task_stale_after, context=context)


def _first_sight(svc, ctx, found):
    """A new record starts from what the compute knows (snapshots taken
    before, e.g. with the lightsnap command)."""
    try:
        claim(svc, [found.uuid], 'sync')
    except exception.InstanceBusy:
        return
    data, error = compute.state(svc, ctx, found, first=True)
    if error is not None:
        # The task's error marks the record as never read (_unread): the
        # next request tries again.
        tasks.finish([found.uuid], error='%s %s' % (UNREAD, error))
        return
    try:
        sync.apply_instance(found.uuid, data)
    finally:
        tasks.finish([found.uuid])


def _after_first_sight(svc, row):
    """``row`` once the first sight that another request runs on it has
    ended: a listing beside it (the daily scheduler lists every project)
    must not show the empty record it reads into. Bounded by that read's
    own timeout; the row as it is after that."""
    deadline = time.monotonic() + svc.first_sight_timeout + 1
    while (row.task == 'sync' and row.task_state == models.TASK_RUNNING and
           time.monotonic() < deadline):
        time.sleep(0.1)
        row = db_api.instance_get(row.instance_uuid)
    return row


def _unread(row, found):
    """The compute never answered for this record: first seen before it
    had a host (still building), or the first sight's call failed."""
    return found.host and (
        row.host is None or
        (row.task == 'sync' and row.task_state == models.TASK_ERROR))


def record(svc, ctx, found):
    """(the database row of ``found``, whether it was just read from the
    compute): created (and synced) on first sight; project and host
    follow the source of instances."""
    try:
        row = db_api.instance_get(found.uuid)
    except exception.NotFound:
        try:
            db_api.instance_create(found.uuid, found.project_id,
                                   host=found.host)
        except exception.Duplicate:
            pass  # another request saw it first
        else:
            if found.host:
                _first_sight(svc, ctx, found)
                return db_api.instance_get(found.uuid), True
        return db_api.instance_get(found.uuid), False
    row = _after_first_sight(svc, row)
    unread = _unread(row, found)
    if (row.project_id, row.host) != (found.project_id, found.host):
        row = db_api.instance_update(found.uuid, project_id=found.project_id,
                                     host=found.host)
    if unread:
        _first_sight(svc, ctx, found)
        return db_api.instance_get(found.uuid), True
    return row, False


def refresh(svc, ctx, found, row):
    """``row`` with the compute's state read into it, unless an operation
    runs (its worker writes the outcome). Nova changes light snapshots
    without this API: a resize or a migration commits them, an opt-in at
    boot reaches the compute first; each request sees what is true now."""
    if not found.host or row.task_state == models.TASK_RUNNING:
        return row
    data, error = compute.state(svc, ctx, found)
    if error is not None:
        return row  # answered from the database
    if sync.apply_unless_changed(found.uuid, data, row.updated_at):
        return db_api.instance_get(found.uuid)
    return row


def require_host(found):
    if not found.host:
        raise exception.Conflict('instance %s has no compute host (not '
                                 'scheduled yet); try again later'
                                 % found.uuid)


def confirmed(svc, ctx, found, row):
    """``row``, or when it says light snapshots are off, reread with the
    full timeout: a refusal must not rest on a record whose short read
    timed out (a first sight or a refresh while the compute was busy)."""
    if row.light_snapshot_enable or not found.host:
        return row
    data = compute.call(svc, found.host, svc.client.get_instance,
                        svc.rpc_context(ctx), found.host, found.uuid)
    # Not applied when an operation ran meanwhile: its outcome is newer.
    sync.apply_unless_changed(found.uuid, data, row.updated_at)
    return db_api.instance_get(found.uuid)


def require_enabled(row):
    if not row.light_snapshot_enable:
        raise exception.Conflict(
            'light snapshots are not enabled on instance %s; enable them '
            'first (PATCH {"enabled": true})' % row.instance_uuid)


def update(svc, ctx, found, enabled=None, store=None, daily=None):
    """Change what is given (None: unchanged)."""
    if enabled is not None or store is not None:
        require_host(found)
        _set_flags(svc, ctx, found, enabled, store)
    if daily is not None:
        db_api.instance_update(found.uuid, snapshot_daily=daily)


def _set_flags(svc, ctx, found, enable, store):
    """A short call the request waits for, under the instance's task so
    that it never runs beside a long operation."""
    claim(svc, [found.uuid], 'update')
    try:
        data = compute.call(
            svc, found.host, svc.client.set_flags, svc.rpc_context(ctx),
            found.host, found.uuid, enable=enable, store=store)
        sync.apply_instance(found.uuid, data)
    finally:
        tasks.finish([found.uuid])


def commit_all(svc, ctx, found, row):
    """Start folding every snapshot back into the root disk; the
    instance's task shows the outcome."""
    require_host(found)
    require_enabled(confirmed(svc, ctx, found, row))
    uuid = found.uuid
    claim(svc, [uuid], 'commit-all')
    rpc_ctxt = svc.rpc_context(ctx)

    def call():
        return svc.client.commit_all(
            rpc_ctxt, found.host, uuid,
            timeout=svc.conf.api.operation_timeout)

    # Read before the worker starts: the answer shows the claimed task.
    started = get(uuid)
    # The refresh that the worker does after any operation writes the
    # rest.
    worker.Operation(svc, found.host, [uuid], rpc_ctxt, call,
                     apply=lambda result, ctx: None,
                     fail=lambda message, ctx: None,
                     notice=notifications.instance(
                         svc, rpc_ctxt, 'commit_all', uuid,
                         found.host)).start()
    return started
