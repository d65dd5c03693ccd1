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

"""The access layer of the plugin database (oslo.db enginefacade).

Configured from the ``[database]`` options of oslo.db, registered on the
``ConfigOpts`` that the caller passes to :func:`configure` (the API
service's, or ``lightsnap-manage``'s); ``[database] connection`` defaults to
an SQLite file, :data:`nova_lightsnap.conf.database.DEFAULT_CONNECTION`.
Every function opens its own session and transaction (reader or writer)
unless it is given a context that is already inside one, so callers compose
calls with::

    ctx = api.RequestContext()
    with api.writer(ctx):
        api.instance_set(uuid, context=ctx, snapshot_index=4)
        api.snapshot_create(uuid, 'before-upgrade', context=ctx)

Rows come back as model objects, detached from their (closed) session with
all their columns loaded; relationships are not loaded.
"""

import threading

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa

from nova_lightsnap.conf import database as database_conf
from nova_lightsnap.db import models
from nova_lightsnap import exception

INSTANCE_FIELDS = ('project_id', 'host', 'light_snapshot_enable',
                   'snapshot_committed', 'snapshot_index', 'root_index',
                   'snapshot_store', 'snapshot_daily', 'task', 'task_state',
                   'task_progress', 'task_error', 'task_heartbeat')

_LOCK = threading.Lock()
_CONTEXT_MANAGER = None


@enginefacade.transaction_context_provider
class RequestContext(object):
    """The smallest context enginefacade accepts, for callers without one."""


def register_opts(conf):
    """Register oslo.db's ``[database]`` options, with our default URL."""
    database_conf.register_opts(conf)


def _facade_args(conf):
    args = dict(conf.database.items())
    # Not options of the synchronous enginefacade.
    for key in ('asyncio_connection', 'asyncio_slave_connection'):
        args.pop(key, None)
    # SQLite enforces foreign keys (the snapshots' ON DELETE) only when
    # asked, per connection.
    args['sqlite_fk'] = True
    return args


def make_context_manager(conf, connection=None):
    """A new, unstarted enginefacade transaction context for ``conf``.

    ``connection``, if given, overrides ``[database] connection``. The
    engine is created (and the URL checked) on first use.
    """
    register_opts(conf)
    args = _facade_args(conf)
    if connection is not None:
        args['connection'] = connection
    context_manager = enginefacade.transaction_context()
    context_manager.configure(**args)
    return context_manager


def dispose_context_manager(context_manager):
    """Close the pooled connections of a started context manager."""
    factory = context_manager._factory
    if factory._started:
        factory.dispose_pool()


def configure(conf, connection=None):
    """Set the process's database up from ``conf`` (a ``ConfigOpts``).

    A new configuration replaces the previous one and disposes of its
    engine.
    """
    global _CONTEXT_MANAGER
    context_manager = make_context_manager(conf, connection)
    with _LOCK:
        previous, _CONTEXT_MANAGER = _CONTEXT_MANAGER, context_manager
    if previous is not None:
        dispose_context_manager(previous)
    return context_manager


def dispose():
    """Forget the configuration and close the engine's connections."""
    global _CONTEXT_MANAGER
    with _LOCK:
        previous, _CONTEXT_MANAGER = _CONTEXT_MANAGER, None
    if previous is not None:
        dispose_context_manager(previous)


def _manager():
    if _CONTEXT_MANAGER is None:
        raise exception.NotConfigured(
            'nova_lightsnap.db.api.configure() was not '
            'called')
    return _CONTEXT_MANAGER


def get_engine():
    """The writer engine (connects, and fails clearly, on first use)."""
    return _manager().writer.get_engine()


def writer(context=None):
    """A writer transaction on ``context`` (a new one when None):
    ``with writer(ctx) as session``; nested in the caller's transaction
    when ``context`` is already in one."""
    return _manager().writer.using(
        context if context is not None else RequestContext())


def reader(context=None):
    return _manager().reader.using(
        context if context is not None else RequestContext())


def _detach(session, rows):
    for row in rows:
        session.expunge(row)
    return rows


def _check_fields(values, allowed):
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError('unknown fields: %s' % ', '.join(sorted(unknown)))


# Instances: the six light-snapshot columns per instance.

def _instance_query(session, instance_uuid):
    return session.query(models.Instance).filter_by(
        instance_uuid=instance_uuid)


def instance_get(instance_uuid, context=None):
    with reader(context) as session:
        row = _instance_query(session, instance_uuid).one_or_none()
        if row is None:
            raise exception.NotFound('instance %s has no light-snapshot record'
                                     % instance_uuid)
        return _detach(session, [row])[0]


def instance_list(host=None, project_id=None, daily=None, context=None):
    with reader(context) as session:
        query = session.query(models.Instance)
        if host is not None:
            query = query.filter_by(host=host)
        if project_id is not None:
            query = query.filter_by(project_id=project_id)
        if daily is not None:
            query = query.filter_by(snapshot_daily=daily)
        return _detach(session,
                       query.order_by(models.Instance.instance_uuid).all())


def instance_create(instance_uuid, project_id, context=None, **values):
    _check_fields(values, INSTANCE_FIELDS)
    with writer(context) as session:
        row = models.Instance(instance_uuid=instance_uuid,
                              project_id=project_id, **values)
        session.add(row)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            raise exception.Duplicate(
                'instance %s already has a light-snapshot '
                'record' % instance_uuid)
        return _detach(session, [row])[0]


def instance_update(instance_uuid, context=None, **values):
    _check_fields(values, INSTANCE_FIELDS)
    with writer(context) as session:
        row = _instance_query(session, instance_uuid).one_or_none()
        if row is None:
            raise exception.NotFound('instance %s has no light-snapshot record'
                                     % instance_uuid)
        if 'snapshot_index' in values and \
                values['snapshot_index'] < row.snapshot_index:
            raise ValueError('snapshot_index is monotonic: %s < %s'
                             % (values['snapshot_index'], row.snapshot_index))
        row.update(values)
        session.flush()
        return _detach(session, [row])[0]


def instance_next_snapshot_index(instance_uuid, context=None):
    """Reserve the next file number (snapshot_index + 1) and return it.

    One UPDATE, so two API workers never get the same number.
    """
    table = models.Instance.__table__
    with writer(context) as session:
        result = session.execute(
            table.update()
            .where(table.c.instance_uuid == instance_uuid)
            .values(snapshot_index=table.c.snapshot_index + 1))
        if result.rowcount != 1:
            raise exception.NotFound('instance %s has no light-snapshot record'
                                     % instance_uuid)
        return session.execute(
            sa.select(table.c.snapshot_index)
            .where(table.c.instance_uuid == instance_uuid)).scalar_one()


def instance_delete(instance_uuid, context=None):
    """Delete the record and (ON DELETE CASCADE) its snapshots' rows."""
    with writer(context) as session:
        count = _instance_query(session, instance_uuid).delete(
            synchronize_session=False)
        if not count:
            raise exception.NotFound('instance %s has no light-snapshot record'
                                     % instance_uuid)


# Snapshots.

SNAPSHOT_FIELDS = ('state', 'progress', 'quiesced', 'set_id', 'error',
                   'size')


def snapshot_create(instance_uuid, name, context=None, **values):
    _check_fields(values, SNAPSHOT_FIELDS)
    with writer(context) as session:
        row = models.Snapshot(instance_uuid=instance_uuid, name=name,
                              **values)
        session.add(row)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            raise exception.Duplicate(
                'instance %s already has a snapshot named %r'
                % (instance_uuid, name))
        except db_exc.DBReferenceError:
            raise exception.NotFound(
                'instance %s or snapshot set %s does not exist'
                % (instance_uuid, values.get('set_id')))
        return _detach(session, [row])[0]


def _snapshot_query(session, instance_uuid, name):
    return session.query(models.Snapshot).filter_by(
        instance_uuid=instance_uuid, name=name)


def snapshot_get(instance_uuid, name, context=None):
    with reader(context) as session:
        row = _snapshot_query(session, instance_uuid, name).one_or_none()
        if row is None:
            raise exception.NotFound('instance %s has no snapshot named %r'
                                     % (instance_uuid, name))
        return _detach(session, [row])[0]


def snapshot_list(instance_uuid=None, set_id=None, context=None):
    with reader(context) as session:
        query = session.query(models.Snapshot)
        if instance_uuid is not None:
            query = query.filter_by(instance_uuid=instance_uuid)
        if set_id is not None:
            query = query.filter_by(set_id=set_id)
        return _detach(session, query.order_by(models.Snapshot.id).all())


def snapshot_update(instance_uuid, name, context=None, **values):
    _check_fields(values, SNAPSHOT_FIELDS)
    with writer(context) as session:
        row = _snapshot_query(session, instance_uuid, name).one_or_none()
        if row is None:
            raise exception.NotFound('instance %s has no snapshot named %r'
                                     % (instance_uuid, name))
        row.update(values)
        session.flush()
        return _detach(session, [row])[0]


def snapshot_delete(instance_uuid, name, context=None):
    with writer(context) as session:
        count = _snapshot_query(session, instance_uuid, name).delete(
            synchronize_session=False)
        if not count:
            raise exception.NotFound('instance %s has no snapshot named %r'
                                     % (instance_uuid, name))


# Snapshot sets.

SNAPSHOT_SET_FIELDS = ('state', 'error')


def snapshot_set_create(name, project_id, context=None, **values):
    _check_fields(values, SNAPSHOT_SET_FIELDS)
    with writer(context) as session:
        row = models.SnapshotSet(name=name, project_id=project_id, **values)
        session.add(row)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            raise exception.Duplicate(
                'project %s already has a snapshot set named %r'
                % (project_id, name))
        return _detach(session, [row])[0]


def snapshot_set_get(set_id, context=None):
    with reader(context) as session:
        row = session.get(models.SnapshotSet, set_id)
        if row is None:
            raise exception.NotFound('no snapshot set %s' % set_id)
        return _detach(session, [row])[0]


def snapshot_set_list(project_id=None, context=None):
    with reader(context) as session:
        query = session.query(models.SnapshotSet)
        if project_id is not None:
            query = query.filter_by(project_id=project_id)
        return _detach(session, query.order_by(models.SnapshotSet.id).all())


def snapshot_set_update(set_id, context=None, **values):
    _check_fields(values, SNAPSHOT_SET_FIELDS)
    with writer(context) as session:
        row = session.get(models.SnapshotSet, set_id)
        if row is None:
            raise exception.NotFound('no snapshot set %s' % set_id)
        row.update(values)
        session.flush()
        return _detach(session, [row])[0]


def snapshot_set_delete(set_id, context=None):
    """Delete the set; its snapshots stay, with set_id NULL."""
    with writer(context) as session:
        count = session.query(models.SnapshotSet).filter_by(
            id=set_id).delete(synchronize_session=False)
        if not count:
            raise exception.NotFound('no snapshot set %s' % set_id)
