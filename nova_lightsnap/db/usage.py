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

"""What the light snapshots of a project and of an instance use, counted
from the database for the quotas.

A snapshot counts from the moment its row exists (state creating, so that
two creates running at once count each other) until it is deleted; only a
failed one (state error) counts for nothing. A stored snapshot still holds
its file, so it counts for its project, but it is no longer in its
instance's backing chain, so not in the instance's depth.
"""

import sqlalchemy as sa

from nova_lightsnap.db import api
from nova_lightsnap.db import models


def _counted():
    return models.Snapshot.__table__.c.state != models.ERROR


def project_usage(project_id, instance_uuids, context=None):
    """(snapshots, bytes) of ``project_id``'s instances among
    ``instance_uuids`` (those that still exist: the records of a deleted
    server stay behind); a snapshot whose size no compute has reported yet
    counts as 0 bytes."""
    snaps = models.Snapshot.__table__
    insts = models.Instance.__table__
    with api.reader(context) as session:
        count, size = session.execute(
            sa.select(sa.func.count(snaps.c.id),
                      sa.func.coalesce(sa.func.sum(snaps.c.size), 0))
            .select_from(snaps.join(
                insts, snaps.c.instance_uuid == insts.c.instance_uuid))
            .where(insts.c.project_id == project_id)
            .where(insts.c.instance_uuid.in_(sorted(instance_uuids)))
            .where(_counted())).one()
        return int(count), int(size)


def instance_depth(instance_uuid, context=None):
    """The live snapshots of an instance: those in its backing chain."""
    snaps = models.Snapshot.__table__
    with api.reader(context) as session:
        return int(session.execute(
            sa.select(sa.func.count(snaps.c.id))
            .where(snaps.c.instance_uuid == instance_uuid)
            .where(_counted())
            .where(snaps.c.state != models.STORED)).scalar_one())


def lock_projects(project_ids, context=None):
    """Hold the instance rows of ``project_ids`` until the caller's
    transaction ends, so that the creates of one project count and insert
    one after the other. Call it first in the transaction."""
    insts = models.Instance.__table__
    projects = sorted(set(project_ids))
    with api.writer(context) as session:
        if session.get_bind().dialect.name == 'sqlite':
            # No row locks: a write takes the database's one write lock.
            # A read first would hold a shared lock that SQLite refuses to
            # upgrade while another writer waits (busy at once).
            session.execute(
                insts.update()
                .where(insts.c.project_id.in_(projects))
                .values(updated_at=insts.c.updated_at))
            return
        # In one order, so that two creates never wait for each other.
        session.execute(
            sa.select(insts.c.instance_uuid)
            .where(insts.c.project_id.in_(projects))
            .order_by(insts.c.instance_uuid)
            .with_for_update()).all()
