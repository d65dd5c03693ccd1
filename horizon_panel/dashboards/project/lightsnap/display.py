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

"""How states and running operations look in the tables."""

from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

BUSY_SNAPSHOT_STATES = ('creating', 'deleting', 'reverting', 'exporting')
BUSY_SET_STATES = ('creating', 'restoring', 'deleting')


def progress(label, percent):
    """The state of a row that is being worked on, with its percent.

    Horizon refreshes such a row (its status is unknown) and draws its
    striped bar over the cell, as wide as the first ``percent`` attribute
    in the row says; a bar of our own would be a second one.
    """
    percent = max(0, min(100, int(percent or 0)))
    return format_html(
        '<span class="lightsnap-state" percent="{percent}%">{label} '
        '{percent}%</span>', label=label, percent=percent)


def instance_state(instance):
    task = instance.task or None
    if task and instance.state == 'busy':
        return progress(task.get('op') or instance.state,
                        task.get('progress'))
    if task and task.get('error'):
        return format_html('{} ({})', instance.state, task['error'])
    return instance.state


def snapshot_state(snapshot):
    if snapshot.state in BUSY_SNAPSHOT_STATES:
        return progress(snapshot.state, snapshot.progress)
    if snapshot.state == 'error' and snapshot.error:
        return format_html('error ({})', snapshot.error)
    return snapshot.state


def set_state(snapshot_set):
    if snapshot_set.state == 'error' and snapshot_set.error:
        return format_html('error ({})', snapshot_set.error)
    return snapshot_set.state


def yes_no(value):
    return _('Yes') if value else _('No')


def size(snapshot):
    return filesizeformat(snapshot.size or 0)
