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

"""Bring the plugin database in line with what a compute host says.

The compute host's metadata beside the disks is the truth about chains and
snapshots; the database is the API's copy of it. It is written from the
compute's answers only by the worker that holds the instance's task (or
when an instance is first seen), so nothing else races with it.
"""

from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks

INTERRUPTED = ('the operation was interrupted (lightsnap-api stopped '
               'while it ran); retry it')


def _set_ids(project_id, context):
    return {s.name: s.id
            for s in db_api.snapshot_set_list(project_id, context=context)}


def snapshot_values(data, set_ids):
    return dict(state=models.STORED if data.get('stored')
                else models.AVAILABLE,
                progress=100, error=None,
                quiesced=bool(data.get('quiesced')),
                size=data.get('size'),
                set_id=set_ids.get(data.get('set')))


def apply_unless_changed(uuid, data, seen):
    """``apply_instance`` for a caller that holds no task: only if the row
    is still as the caller saw it (``seen``: its ``updated_at``) and no
    task runs, so an operation that started or ended meanwhile wins."""
    ctx = db_api.RequestContext()
    with db_api.writer(ctx):
        if not tasks.touch_if_idle(uuid, seen, context=ctx):
            return False
        apply_instance(uuid, data, context=ctx)
    return True


def apply_instance(uuid, data, context=None):
    """Write a compute ``Instance`` dict into the instance's rows; the
    caller holds the instance's task."""
    ctx = context if context is not None else db_api.RequestContext()
    with db_api.writer(ctx):
        row = db_api.instance_get(uuid, context=ctx)
        db_api.instance_update(
            uuid, context=ctx,
            light_snapshot_enable=bool(data.get('enabled')),
            snapshot_store=bool(data.get('store')),
            snapshot_committed=bool(data.get('committed')),
            snapshot_index=max(row.snapshot_index,
                               int(data.get('snapshot_index') or 0)),
            root_index=int(data.get('root_index') or 0))
        set_ids = _set_ids(row.project_id, ctx)
        existing = {s.name: s for s in
                    db_api.snapshot_list(uuid, context=ctx)}
        names = set()
        for snap in data.get('snapshots') or ():
            names.add(snap['name'])
            values = snapshot_values(snap, set_ids)
            if snap['name'] in existing:
                db_api.snapshot_update(uuid, snap['name'], context=ctx,
                                       **values)
            else:
                db_api.snapshot_create(uuid, snap['name'], context=ctx,
                                       **values)
        for name, snap in existing.items():
            if name in names or snap.state == models.ERROR:
                continue  # a failure stays, so that the user sees why
            if snap.state == models.CREATING:
                # Written only under the instance's task, which the caller
                # holds now: its worker died before the compute took it.
                db_api.snapshot_update(uuid, name, context=ctx,
                                       state=models.ERROR, error=INTERRUPTED)
            else:
                db_api.snapshot_delete(uuid, name, context=ctx)
