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

"""Versioned notifications of the API's operations, as Nova emits them
for its own actions: ``lightsnap.<object>.<action>.start`` when the
operation starts, then ``.end`` or ``.error`` (priority ERROR) when it has
been recorded, each with the project, the user, the instance(s), the
snapshot or set, its size in bytes and, at the end, the duration in
seconds. Billing and audit consume them from the message bus.

Off by default; on with ``[oslo_messaging_notifications] driver``
(``messagingv2`` for the bus, on ``transport_url`` of that group or
``[DEFAULT]``). A notification that cannot be sent is logged and never
fails the operation.
"""

import queue
import socket
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from nova_lightsnap.db import api as db_api
from nova_lightsnap import exception

LOG = logging.getLogger(__name__)

NAMESPACE = 'lightsnap'
VERSION = '1.0'


# Notifications waiting for the bus at most; past it new ones are dropped
# (and logged), so a bus that is down costs bounded memory.
QUEUE_SIZE = 1000


def make_notifier(conf):
    """The service's notifier, or None when no driver is configured."""
    if not conf.oslo_messaging_notifications.driver:
        return None
    transport = messaging.get_notification_transport(conf)
    return Sender(messaging.Notifier(
        transport, publisher_id='lightsnap-api:%s' % socket.gethostname()))


class Sender(object):
    """Sends in a thread of its own, in order: with the default
    ``[oslo_messaging_notifications] retry = -1`` a send waits as long as
    the bus is unreachable, and neither a request nor an operation may
    wait with it."""

    def __init__(self, notifier):
        self.notifier = notifier
        self.queue = queue.Queue(QUEUE_SIZE)
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name='lightsnap-notifier')
        self.thread.start()

    def is_enabled(self):
        return self.notifier.is_enabled()

    @property
    def publisher_id(self):
        return self.notifier.publisher_id

    def info(self, ctxt, event_type, payload):
        self._put('info', ctxt, event_type, payload)

    def error(self, ctxt, event_type, payload):
        self._put('error', ctxt, event_type, payload)

    def _put(self, *notification):
        try:
            self.queue.put_nowait(notification)
        except queue.Full:
            LOG.warning('notification %s dropped: %d wait for the message '
                        'bus already', notification[2], QUEUE_SIZE)

    def close(self, timeout=10):
        """Send what waits (for ``timeout`` seconds at most), then stop."""
        try:
            self.queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self.thread.join(timeout)

    def _run(self):
        while True:
            notification = self.queue.get()
            if notification is None:
                return
            priority, ctxt, event_type, payload = notification
            try:
                getattr(self.notifier, priority)(ctxt, event_type, payload)
            except Exception:
                LOG.exception('notification %s not sent', event_type)


def envelope(name, data):
    """The versioned payload, in the shape of Nova's (oslo.versionedobjects
    primitives): consumers check name and version before reading data."""
    return {'lightsnap_object.name': name,
            'lightsnap_object.namespace': NAMESPACE,
            'lightsnap_object.version': VERSION,
            'lightsnap_object.data': data}


class Action(object):
    """One notified operation. ``payload()`` reads the resource's data
    when each notification is sent (sizes are known only at the end); when
    it is gone (deleted), the last data read is sent with ``state``
    ``deleted``."""

    def __init__(self, notifier, rpc_ctxt, event, name, payload):
        self.notifier = notifier
        self.rpc_ctxt = rpc_ctxt
        self.event = event
        self.name = name
        self.payload = payload
        self.started = None
        self.last = {}

    def start(self):
        self.started = time.monotonic()
        self._send('start', 'info')

    def resume(self):
        """Go on with an action whose start another API process sent
        before it died (nova_lightsnap.api.takeover): nothing is sent;
        the duration counts from here."""
        self.started = time.monotonic()
        try:
            self.last = self.payload()
        except Exception:
            pass  # sent without the data of before

    def end(self):
        self._send('end', 'info', duration=self._duration())

    def error(self, message):
        self._send('error', 'error', duration=self._duration(),
                   error=message)

    def _duration(self):
        return round(time.monotonic() - self.started, 3)

    def _send(self, phase, priority, **extra):
        if self.notifier is None:
            return
        event_type = 'lightsnap.%s.%s' % (self.event, phase)
        try:
            try:
                self.last = self.payload()
                data = dict(self.last)
            except exception.NotFound:
                data = dict(self.last, state='deleted')
            data.update(project_id=data.get('project_id') or
                        self.rpc_ctxt.get('project_id'),
                        user_id=self.rpc_ctxt.get('user_id'),
                        request_id=self.rpc_ctxt.get('request_id'), **extra)
            getattr(self.notifier, priority)(
                self.rpc_ctxt, event_type, envelope(self.name, data))
        except Exception:
            LOG.exception('notification %s not sent', event_type)


def snapshot(svc, rpc_ctxt, action, uuid, name, host):
    """A snapshot's create, delete, revert or export."""
    def payload():
        row = db_api.snapshot_get(uuid, name)
        return {'instance_uuid': uuid, 'host': host, 'name': row.name,
                'project_id': db_api.instance_get(uuid).project_id,
                'state': row.state, 'size': row.size,
                'quiesced': row.quiesced, 'set_id': row.set_id}
    return Action(svc.notifier, rpc_ctxt, 'snapshot.%s' % action,
                  'SnapshotActionPayload', payload)


def instance(svc, rpc_ctxt, action, uuid, host):
    """An operation on an instance's whole chain (commit_all)."""
    def payload():
        snaps = db_api.snapshot_list(uuid)
        return {'instance_uuid': uuid, 'host': host,
                'project_id': db_api.instance_get(uuid).project_id,
                'snapshot_count': len(snaps),
                'size': sum(s.size or 0 for s in snaps)}
    return Action(svc.notifier, rpc_ctxt, 'instance.%s' % action,
                  'InstanceActionPayload', payload)


def snapshot_set(svc, rpc_ctxt, action, set_id, host):
    """A snapshot set's create, restore or delete."""
    def payload():
        row = db_api.snapshot_set_get(set_id)
        snaps = db_api.snapshot_list(set_id=set_id)
        return {'id': row.id, 'name': row.name, 'host': host,
                'project_id': row.project_id, 'state': row.state,
                'instance_uuids': sorted(s.instance_uuid for s in snaps),
                'size': sum(s.size or 0 for s in snaps)}
    return Action(svc.notifier, rpc_ctxt, 'snapshot_set.%s' % action,
                  'SnapshotSetActionPayload', payload)
