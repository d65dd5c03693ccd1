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

"""A recording stand-in for InstanceOperations, for the RPC tests.

The RPC layer is tested on its own (transport, dispatch, arguments, error
classes, timeouts, concurrency); the real backend's operations are tested
on libvirt elsewhere. Each method has the contract's signature, records
``(method, positional args, keyword args)`` and returns a JSON-able answer
that names the call, so a test sees both what reached the backend and what
came back. Arguments with a default are keyword-only here, so a caller
that passes them by position fails. ``fail_with`` makes the next calls
raise; ``hold`` makes calls of one method wait until ``release()``.

:func:`service_transport` builds a transport the way a service does: from
its own configuration file, on a ConfigOpts of its own.
"""

import os
import threading

from oslo_config import cfg

from nova_lightsnap import rpc


def service_transport(url, directory, name, control_exchange='openstack'):
    """The transport of service ``name`` whose configuration names ``url``."""
    path = os.path.join(directory, name + '.conf')
    with open(path, 'w') as f:
        f.write('[DEFAULT]\ntransport_url = %s\ncontrol_exchange = %s\n'
                % (url, control_exchange))
    conf = cfg.ConfigOpts()
    conf([], project='lightsnap', default_config_files=[path])
    return rpc.get_transport(conf)


class RecordingBackend(object):

    def __init__(self):
        self._lock = threading.Lock()
        self.entered = threading.Event()
        self._gate = threading.Event()
        self.reset()

    def reset(self):
        """Back to no calls, no failure, nothing held."""
        self.release()
        self.calls = []
        self.fail_with = None
        self.progress_answer = {'op': 'delete', 'percent': 42,
                                'what': 'merging vda'}
        self._held = None
        self.entered.clear()

    def hold(self, method):
        """Calls of ``method`` wait (up to a minute) until release()."""
        self._held = method
        self._gate.clear()
        self.entered.clear()

    def release(self):
        self._gate.set()

    def _record(self, method, args, kwargs=None):
        kwargs = kwargs or {}
        with self._lock:
            self.calls.append((method, args, kwargs))
        if method == self._held:
            self.entered.set()
            self._gate.wait(60)
        if self.fail_with is not None:
            raise self.fail_with
        return {'method': method, 'args': list(args), 'kwargs': kwargs,
                'nested': {'sizes': [1, 2 ** 40], 'flag': True,
                           'none': None}}

    def get_instance(self, uuid):
        return self._record('get_instance', (uuid,))

    def set_flags(self, uuid, *, enable=None, store=None):
        return self._record('set_flags', (uuid,),
                            {'enable': enable, 'store': store})

    def create_snapshot(self, uuid, *, name=None, quiesce='auto'):
        return self._record('create_snapshot', (uuid,),
                            {'name': name, 'quiesce': quiesce})

    def delete_snapshot(self, uuid, name, *, purge=False):
        return self._record('delete_snapshot', (uuid, name),
                            {'purge': purge})

    def revert_snapshot(self, uuid, name):
        return self._record('revert_snapshot', (uuid, name))

    def commit_all(self, uuid):
        return self._record('commit_all', (uuid,))

    def export_snapshot(self, uuid, name, file):
        return self._record('export_snapshot', (uuid, name, file))

    def create_set(self, set_name, uuids, *, quiesce='auto'):
        return self._record('create_set', (set_name, uuids),
                            {'quiesce': quiesce})

    def restore_set(self, set_name, uuids):
        return self._record('restore_set', (set_name, uuids))

    def delete_set(self, set_name, uuids):
        return self._record('delete_set', (set_name, uuids))

    def progress(self, uuid):
        self._record('progress', (uuid,))
        return self.progress_answer
