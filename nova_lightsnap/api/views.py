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

"""The JSON representations of instances, snapshots and sets."""

from nova_lightsnap.db import models


def isotime(value):
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + 'Z'


def task(row):
    if row.task is None:
        return None
    return {'op': row.task, 'state': row.task_state,
            'progress': row.task_progress, 'error': row.task_error}


def instance_state(row):
    if row.task_state == models.TASK_RUNNING:
        return 'busy'
    if row.task_state == models.TASK_ERROR:
        return 'error'
    return 'idle'


def instance(row, snapshots):
    kept = [s for s in snapshots if s.state != models.ERROR]
    taken = [s.created_at for s in kept if s.created_at is not None]
    return {
        'uuid': row.instance_uuid,
        'project_id': row.project_id,
        'host': row.host,
        'enabled': row.light_snapshot_enable,
        'daily': row.snapshot_daily,
        'store': row.snapshot_store,
        'committed': row.snapshot_committed,
        'snapshot_index': row.snapshot_index,
        'root_index': row.root_index,
        'snapshot_count': len(kept),
        'last_snapshot_at': isotime(max(taken)) if taken else None,
        'state': instance_state(row),
        'task': task(row),
    }


def snapshot(row):
    return {
        'name': row.name,
        'instance_uuid': row.instance_uuid,
        'state': row.state,
        'progress': row.progress,
        'created_at': isotime(row.created_at),
        'quiesced': row.quiesced,
        'set_id': row.set_id,
        'size': row.size,
        'error': row.error,
    }


def snapshot_set(row, members):
    return {
        'id': row.id,
        'name': row.name,
        'project_id': row.project_id,
        'state': row.state,
        'instances': members,
        'created_at': isotime(row.created_at),
        'error': row.error,
    }
