"""The instances and sets a request may see, with their database rows.

An instance exists for a caller when the source of instances
(:mod:`nova_lightsnap.api.servers`) knows it and it belongs to the caller's
project, or the caller may act on all projects; anything else is 404, so a
project cannot even learn that another project's instance exists.
"""

import re

import oslo_messaging as messaging
from oslo_log import log as logging

from nova_lightsnap.api import errors
from nova_lightsnap.api import policy
from nova_lightsnap.api import servers
from nova_lightsnap.api import sync
from nova_lightsnap.api import util
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks
from nova_lightsnap.engine import errors as engine_errors
from nova_lightsnap.engine import names

LOG = logging.getLogger(__name__)

_UUID = re.compile('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   '[0-9a-f]{12}$')
_SET_ID = re.compile(r'^[1-9][0-9]{0,9}\Z')
_MAX_SET_ID = 2 ** 31 - 1  # an Integer column on every backend
UNREAD = 'not read from the compute yet (it will be at the next request):'
ALL_PROJECTS = 'lightsnap:all_projects'


def service(req):
    return req.environ['lightsnap.service']


def context(req):
    return req.environ['lightsnap.context']


def all_projects(req):
    return policy.allowed(req, ALL_PROJECTS, context(req).project_id)


def list_scope(req, rule):
    """The project a listing covers: the caller's, or None (every project)
    with ``?all_projects=1`` when the policy allows it."""
    ctx = context(req)
    policy.authorize(req, rule, ctx.project_id)
    if util.query_flag(req, 'all_projects'):
        policy.authorize(req, ALL_PROJECTS, ctx.project_id)
        return None
    return ctx.project_id


def unless_missing(call, missing):
    """``call()``, or ``missing`` when the compute does not know the
    thing: a record whose creation never reached the compute, so only the
    record is left to delete."""
    try:
        return call()
    except engine_errors.NotFound:
        return missing


def _not_found(uuid):
    return errors.NotFound('no instance %s in your project'
                           % names.clip(uuid))


def _source_call(func, *args):
    try:
        return func(*args)
    except servers.SourceError as exc:
        raise errors.ServiceUnavailable(
            'the owners of instances cannot be read: %s' % exc)


def server(req, uuid):
    if not _UUID.match(uuid):
        raise _not_found(uuid)
    found = _source_call(service(req).source.get, uuid)
    if found is None or (found.project_id != context(req).project_id and
                         not all_projects(req)):
        raise _not_found(uuid)
    return found


def servers_of(req, project_id):
    """The instances of ``project_id`` (None: every project)."""
    return _source_call(service(req).source.list, project_id)


def _compute_state(req, found):
    """(the compute's view of ``found``, None) or (None, why it did not
    answer). The short timeout of progress polls: a request must not wait
    a minute per instance for a compute that is down."""
    svc = service(req)
    try:
        return svc.progress_client.get_instance(
            svc.rpc_context(context(req)), found.host, found.uuid), None
    except (messaging.MessagingException,
            engine_errors.LightSnapError) as exc:
        LOG.warning('instance %s: state not read from %s (%s)', found.uuid,
                    found.host, exc)
        return None, exc


def _first_sight(req, found):
    """A new record starts from what the compute knows (snapshots taken
    before, e.g. with the lightsnap command)."""
    try:
        tasks.claim([found.uuid], 'sync',
                    service(req).conf.api.task_stale_after)
    except tasks.Busy:
        return
    data, error = _compute_state(req, found)
    if error is not None:
        # The task's error marks the record as never read (_unread): the
        # next request tries again.
        tasks.finish([found.uuid], error='%s %s' % (UNREAD, error))
        return
    try:
        sync.apply_instance(found.uuid, data)
    finally:
        tasks.finish([found.uuid])


def _unread(row, found):
    """The compute never answered for this record: first seen before it
    had a host (still building), or the first sight's call failed."""
    return found.host and (
        row.host is None or
        (row.task == 'sync' and row.task_state == models.TASK_ERROR))


def record(req, found):
    """The database row of ``found``, created (and synced) on first sight;
    project and host follow the source."""
    return _record(req, found)[0]


def _record(req, found):
    """(row, whether it was just read from the compute)"""
    try:
        row = db_api.instance_get(found.uuid)
    except db_api.NotFound:
        try:
            db_api.instance_create(found.uuid, found.project_id,
                                   host=found.host)
        except db_api.Duplicate:
            pass  # another request saw it first
        else:
            if found.host:
                _first_sight(req, found)
                return db_api.instance_get(found.uuid), True
        return db_api.instance_get(found.uuid), False
    unread = _unread(row, found)
    if (row.project_id, row.host) != (found.project_id, found.host):
        row = db_api.instance_update(found.uuid, project_id=found.project_id,
                                     host=found.host)
    if unread:
        _first_sight(req, found)
        return db_api.instance_get(found.uuid), True
    return row, False


def _refresh(req, found, row):
    """``row`` with the compute's state read into it, unless an operation
    runs (its worker writes the outcome). Nova changes light snapshots
    without this API: a resize or a migration commits them, an opt-in at
    boot reaches the compute first; each request sees what is true now."""
    if not found.host or row.task_state == models.TASK_RUNNING:
        return row
    data, error = _compute_state(req, found)
    if error is not None:
        return row  # answered from the database
    if sync.apply_unless_changed(found.uuid, data, row.updated_at):
        return db_api.instance_get(found.uuid)
    return row


def instance(req, uuid):
    found = server(req, uuid)
    row, synced = _record(req, found)
    return found, row if synced else _refresh(req, found, row)


def require_host(found):
    if not found.host:
        raise errors.Conflict('instance %s has no compute host (not '
                              'scheduled yet); try again later'
                              % found.uuid)


def require_enabled(row):
    if not row.light_snapshot_enable:
        raise errors.Conflict(
            'light snapshots are not enabled on instance %s; enable them '
            'first (PATCH {"enabled": true})' % row.instance_uuid)


def snapshot_set(req, set_id):
    try:
        # Only the id as the API writes it: int() would also take " 1",
        # "+1" or "\uff11", and a number no database column holds.
        if not _SET_ID.match(set_id) or int(set_id) > _MAX_SET_ID:
            raise ValueError(set_id)
        row = db_api.snapshot_set_get(int(set_id))
    except (ValueError, db_api.NotFound):
        raise errors.NotFound('no snapshot set %s in your project'
                              % names.clip(set_id))
    if row.project_id != context(req).project_id and not all_projects(req):
        raise errors.NotFound('no snapshot set %s in your project'
                              % names.clip(set_id))
    return row


def set_members(set_id):
    return sorted({s.instance_uuid
                   for s in db_api.snapshot_list(set_id=set_id)})


ENGINE_STATUS = {
    'InvalidInput': errors.BadRequest,
    'Unsupported': errors.BadRequest,
    'NotFound': errors.NotFound,
    'Busy': errors.Conflict,
    'InvalidState': errors.Conflict,
    'ChainMismatch': errors.Conflict,
}


def http_error(exc, host, timeout):
    """The HTTP error for an RPC call that a request waited for."""
    if isinstance(exc, messaging.MessagingTimeout):
        return errors.ServiceUnavailable(
            'compute host %s did not answer within %d seconds; nothing was '
            'changed here, retry once the compute service runs'
            % (host, timeout))
    if isinstance(exc, messaging.MessagingException):
        return errors.ServiceUnavailable('compute host %s could not be '
                                         'reached: %s' % (host, exc))
    for cls in type(exc).__mro__:
        if cls.__name__ in ENGINE_STATUS:
            return ENGINE_STATUS[cls.__name__](str(exc))
    return errors.APIError(str(exc))
