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

"""Following a 202 operation until it ends.

Long operations (create, delete, revert, export, commit-all, set create,
restore, delete) answer 202 at once; the resource then shows ``state`` and
``progress`` until it settles. ``wait`` polls it.
"""

import time

from nova_lightsnap.client import exceptions


def snapshot_state(snapshot):
    return (snapshot['state'], snapshot.get('progress'), snapshot.get('error'))


def set_state(set_):
    return (set_['state'], None, set_.get('error'))


def instance_state(instance):
    """An instance is settled when it is idle again; its task carries
    the progress and, when it failed, the error."""
    task = instance.get('task') or {}
    state = instance['state']
    if task.get('state') == 'error':
        state = 'error'
    return (state, task.get('progress'), task.get('error'))


def wait(getter, until, progress=None, timeout=None, state_of=snapshot_state,
         gone_ok=False, interval=1.0, clock=time.monotonic, sleep=time.sleep):
    """Poll ``getter()`` until the resource reaches a state in ``until``.

    Returns the resource in that state, or None when ``gone_ok`` and the
    resource vanished (a finished delete). ``progress(resource, state,
    percent)`` is called after each poll. A resource in state ``error``
    raises OperationFailed with the API's error message; ``timeout``
    seconds without an end raise WaitTimeout (the operation itself goes
    on: only the waiting stops).
    """
    until = frozenset(until)
    deadline = None if timeout is None else clock() + timeout
    while True:
        try:
            resource = getter()
        except exceptions.NotFound:
            if gone_ok:
                return None
            raise
        state, percent, error = state_of(resource)
        if progress is not None:
            progress(resource, state, percent)
        if state in until:
            return resource
        if state == 'error':
            raise exceptions.OperationFailed(
                error or 'the operation failed (state error) without a '
                         'message; see the lightsnap-api log')
        if deadline is not None and clock() >= deadline:
            raise exceptions.WaitTimeout(
                'still %s after %d seconds; the operation goes on, check '
                'it again later' % (state, timeout))
        sleep(interval)
