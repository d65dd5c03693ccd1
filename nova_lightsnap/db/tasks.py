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

"""One long operation at a time per instance, claimed in the database.

A claim is a single conditional UPDATE per instance (``... WHERE no task
runs``), so two API workers, threads or processes racing for the same
instance cannot both win: the database serialises the UPDATEs and the loser
sees no row changed. A set claims all its instances in one transaction, all
or none.

A running task carries a heartbeat that its worker renews; a task whose
heartbeat is older than ``stale_after`` seconds was left by a process that
died and may be claimed again, so an instance never stays busy for ever.
Long before that, an API process may take over a running task whose
heartbeat stopped (``take_over``): the compute still runs the operation
whatever happened to its caller, and the task follows it to its end.
"""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from nova_lightsnap.db import api
from nova_lightsnap.db import models
from nova_lightsnap import exception


def _table():
    return models.Instance.__table__


def claim(instance_uuids, task, stale_after, context=None):
    """Mark ``task`` running on every instance, or raise InstanceBusy."""
    table = _table()
    now = timeutils.utcnow()
    stale = now - datetime.timedelta(seconds=stale_after)
    with api.writer(context) as session:
        for uuid in instance_uuids:
            result = session.execute(
                table.update()
                .where(table.c.instance_uuid == uuid)
                .where(sa.or_(table.c.task_state.is_(None),
                              table.c.task_state != models.TASK_RUNNING,
                              table.c.task_heartbeat.is_(None),
                              table.c.task_heartbeat < stale))
                .values(task=task, task_state=models.TASK_RUNNING,
                        task_progress=0, task_error=None,
                        task_heartbeat=now, updated_at=now))
            if result.rowcount != 1:
                # Raising rolls back the claims already made in this
                # transaction.
                raise exception.InstanceBusy(uuid=uuid)


def touch_if_idle(instance_uuid, seen, context=None):
    """Mark the row changed if it is unchanged since ``seen`` (its
    ``updated_at``) and no task runs; whether it was. The UPDATE holds the
    row for the rest of the caller's transaction, so no claim slips in."""
    table = _table()
    with api.writer(context) as session:
        result = session.execute(
            table.update()
            .where(table.c.instance_uuid == instance_uuid)
            .where(table.c.updated_at == seen)
            .where(sa.or_(table.c.task_state.is_(None),
                          table.c.task_state != models.TASK_RUNNING))
            .values(updated_at=timeutils.utcnow()))
        return result.rowcount == 1


def silent(older_than, context=None):
    """The rows of running tasks whose heartbeat is older than
    ``older_than`` seconds, oldest first."""
    table = _table()
    cutoff = timeutils.utcnow() - datetime.timedelta(seconds=older_than)
    with api.reader(context) as session:
        return session.execute(
            sa.select(table.c.instance_uuid, table.c.task,
                      table.c.task_heartbeat)
            .where(table.c.task_state == models.TASK_RUNNING)
            .where(table.c.task_heartbeat < cutoff)
            .order_by(table.c.task_heartbeat)).all()


def take_over(instance_uuids, task, older_than):
    """Renew the heartbeat of ``task`` on every instance if it is still
    running with a heartbeat older than ``older_than`` seconds; whether
    it was, on all of them (all or none). One conditional UPDATE per
    instance, as ``claim``: of two processes that race, only the first
    finds the heartbeat old. Its own transaction, so that a loser leaves
    nothing changed."""
    table = _table()
    now = timeutils.utcnow()
    cutoff = now - datetime.timedelta(seconds=older_than)
    try:
        with api.writer() as session:
            for uuid in instance_uuids:
                result = session.execute(
                    table.update()
                    .where(table.c.instance_uuid == uuid)
                    .where(table.c.task == task)
                    .where(table.c.task_state == models.TASK_RUNNING)
                    .where(table.c.task_heartbeat < cutoff)
                    .values(task_heartbeat=now, updated_at=now))
                if result.rowcount != 1:
                    # Rolls back the members taken already.
                    raise exception.InstanceBusy(uuid=uuid)
    except exception.InstanceBusy:
        return False
    return True


def heartbeat(instance_uuids, progress=None, context=None):
    table = _table()
    now = timeutils.utcnow()
    values = {'task_heartbeat': now, 'updated_at': now}
    if progress is not None:
        values['task_progress'] = progress
    with api.writer(context) as session:
        session.execute(
            table.update()
            .where(table.c.instance_uuid.in_(list(instance_uuids)))
            .where(table.c.task_state == models.TASK_RUNNING)
            .values(**values))


def finish(instance_uuids, error=None, context=None):
    """End the task: cleared on success, kept with its error otherwise."""
    table = _table()
    now = timeutils.utcnow()
    if error is None:
        values = dict(task=None, task_state=None, task_progress=0,
                      task_error=None, task_heartbeat=None)
    else:
        values = dict(task_state=models.TASK_ERROR, task_error=error,
                      task_heartbeat=None)
    with api.writer(context) as session:
        session.execute(
            table.update()
            .where(table.c.instance_uuid.in_(list(instance_uuids)))
            .values(updated_at=now, **values))
