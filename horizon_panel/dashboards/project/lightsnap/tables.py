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

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from horizon_panel.api import lightsnap as api
from horizon_panel.api import nova_names
from horizon_panel.dashboards.project.lightsnap import display
from horizon_panel.dashboards.project.lightsnap import errors

DETAIL_URL = 'horizon:project:lightsnap:detail'


def _rules(*names):
    """``policy_rules`` of an action: the API's rules it needs (their
    defaults: horizon_panel/conf/default_policies/lightsnap.yaml), checked
    against the user's roles by Horizon before it offers the action or
    takes it."""
    return tuple(('lightsnap', 'lightsnap:' + name) for name in names)


def _batch_call(request, message, call, *args, **kwargs):
    """Run an API call for a BatchAction; a failure carries the API's text.

    escalate=True makes Horizon's BatchAction show this message instead of
    its own generic "Unable to ..." one.
    """
    try:
        return call(request, *args, **kwargs)
    except Exception:
        errors.handle(request, message, escalate=True)


# ---------------------------------------------------------------- instances

class _FlagAction(tables.BatchAction):
    """Turns one of the instance's flags on or off (PATCH).

    Subclasses name the flag, the value and their texts; the texts are the
    same for one instance or several.
    """
    flag = None
    value = None
    present = None
    past = None
    failure = None
    policy_rules = _rules('instances:update')

    def action_present(self, count):
        return self.present

    def action_past(self, count):
        return self.past

    def allowed(self, request, instance=None):
        if instance is None:
            return True
        current = bool(getattr(instance, self.flag))
        if self.flag != 'enabled' and not instance.enabled:
            return False
        return current != self.value

    def action(self, request, obj_id):
        _batch_call(request, self.failure, api.instance_update, obj_id,
                    **{self.flag: self.value})


class EnableAction(_FlagAction):
    name = 'enable'
    flag, value = 'enabled', True
    present = _('Enable')
    past = _('Enabled light snapshots of')
    failure = _('Unable to enable light snapshots.')


class DisableAction(_FlagAction):
    name = 'disable'
    flag, value = 'enabled', False
    present = _('Disable')
    past = _('Disabled light snapshots of')
    failure = _('Unable to disable light snapshots.')
    action_type = 'danger'


class DailyOnAction(_FlagAction):
    name = 'daily_on'
    flag, value = 'daily', True
    present = _('Daily On')
    past = _('Turned daily snapshots on for')
    failure = _('Unable to turn daily snapshots on.')


class DailyOffAction(_FlagAction):
    name = 'daily_off'
    flag, value = 'daily', False
    present = _('Daily Off')
    past = _('Turned daily snapshots off for')
    failure = _('Unable to turn daily snapshots off.')


class StoreOnAction(_FlagAction):
    name = 'store_on'
    flag, value = 'store', True
    # The API lets administrators of the cloud alone change the store.
    policy_rules = _rules('instances:update', 'instances:update:store')
    present = _('Store On')
    past = _('Turned the snapshot store on for')
    failure = _('Unable to turn the snapshot store on.')


class StoreOffAction(_FlagAction):
    name = 'store_off'
    flag, value = 'store', False
    # The API lets administrators of the cloud alone change the store.
    policy_rules = _rules('instances:update', 'instances:update:store')
    present = _('Store Off')
    past = _('Turned the snapshot store off for')
    failure = _('Unable to turn the snapshot store off.')


class TakeSnapshotAction(tables.LinkAction):
    policy_rules = _rules('snapshots:create')
    name = 'take_snapshot'
    verbose_name = _('Take Snapshot')
    url = 'horizon:project:lightsnap:take_snapshot'
    classes = ('ajax-modal',)
    icon = 'camera'

    def allowed(self, request, instance=None):
        return instance is None or (instance.enabled and
                                    instance.state != 'busy')

    def get_link_url(self, datum=None):
        instance_id = (self.table.get_object_id(datum) if datum
                       else self.table.kwargs['instance_id'])
        return reverse(self.url, args=[instance_id])


class CommitAllAction(tables.BatchAction):
    policy_rules = _rules('instances:commit_all')
    name = 'commit_all'
    action_type = 'danger'
    help_text = _('Every snapshot of the instance is dropped and its layers '
                  'are merged back into the disk. This cannot be undone.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Commit All', 'Commit All', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Started committing all snapshots of',
                             'Started committing all snapshots of', count)

    def allowed(self, request, instance=None):
        return instance is None or (instance.enabled and
                                    instance.snapshot_count > 0)

    def action(self, request, obj_id):
        _batch_call(request, _('Unable to commit all snapshots.'),
                    api.instance_commit_all, obj_id)


class UpdateInstanceRow(tables.Row):
    ajax = True

    def get_data(self, request, instance_id):
        instance = api.instance_get(request, instance_id)
        instance.name = nova_names.server_name(request, instance_id) or \
            instance.name
        return instance


class InstancesTable(tables.DataTable):
    STATUS_CHOICES = (('idle', True), ('busy', None), ('error', False))

    name = tables.WrappingColumn('name', verbose_name=_('Instance'),
                                 link=DETAIL_URL)
    enabled = tables.Column(lambda i: display.yes_no(i.enabled),
                            verbose_name=_('Enabled'))
    daily = tables.Column(lambda i: display.yes_no(i.daily),
                          verbose_name=_('Daily'))
    store = tables.Column(lambda i: display.yes_no(i.store),
                          verbose_name=_('Store'))
    snapshot_count = tables.Column('snapshot_count',
                                   verbose_name=_('Snapshots'))
    last_snapshot_at = tables.Column(
        lambda i: i.last_snapshot_at or '-', verbose_name=_('Last Snapshot'))
    state = tables.Column(display.instance_state, verbose_name=_('State'),
                          status=True, status_choices=STATUS_CHOICES)

    def get_object_display(self, datum):
        return datum.name

    class Meta(object):
        name = 'instances'
        verbose_name = _('Instances')
        status_columns = ['state']
        row_class = UpdateInstanceRow
        table_actions = ()
        row_actions = (TakeSnapshotAction, EnableAction, DailyOnAction,
                       DailyOffAction, StoreOnAction, StoreOffAction,
                       CommitAllAction, DisableAction)


# ---------------------------------------------------------------- snapshots

class ExportAction(tables.LinkAction):
    policy_rules = _rules('snapshots:export')
    name = 'export'
    verbose_name = _('Export')
    url = 'horizon:project:lightsnap:export'
    classes = ('ajax-modal',)
    icon = 'download'

    def allowed(self, request, snapshot=None):
        return snapshot is None or snapshot.state in ('available', 'stored')

    def get_link_url(self, datum):
        return reverse(self.url, args=[self.table.kwargs['instance_id'],
                                       datum.name])


class RevertAction(tables.BatchAction):
    policy_rules = _rules('snapshots:revert')
    name = 'revert'
    action_type = 'danger'
    help_text = _('The instance goes back to this snapshot; what was written '
                  'since is discarded. A running instance is restarted.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Revert to Snapshot', 'Revert to Snapshots',
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Reverting to snapshot', 'Reverting to snapshots',
                             count)

    def allowed(self, request, snapshot=None):
        return snapshot is None or snapshot.state in ('available', 'stored')

    def action(self, request, obj_id):
        _batch_call(request, _('Unable to revert to the snapshot.'),
                    api.snapshot_revert, self.table.kwargs['instance_id'],
                    obj_id)


class DeleteSnapshotAction(tables.DeleteAction):
    policy_rules = _rules('snapshots:delete')
    help_text = _('The snapshot is gone for good; the other snapshots and '
                  'the instance stay as they are.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Snapshot', 'Delete Snapshots', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleting snapshot', 'Deleting snapshots', count)

    def allowed(self, request, snapshot=None):
        return snapshot is None or snapshot.state not in \
            display.BUSY_SNAPSHOT_STATES

    def delete(self, request, obj_id):
        _batch_call(request, _('Unable to delete the snapshot.'),
                    api.snapshot_delete, self.table.kwargs['instance_id'],
                    obj_id)


class UpdateSnapshotRow(tables.Row):
    ajax = True

    def get_data(self, request, name):
        # A deleted snapshot answers 404 (NotFound, registered as such in
        # the enabled file): Horizon then drops the row.
        return api.snapshot_get(request, self.table.kwargs['instance_id'],
                                name)


class SnapshotsTable(tables.DataTable):
    STATUS_CHOICES = (('available', True), ('stored', True), ('error', False),
                      ('creating', None), ('deleting', None),
                      ('reverting', None), ('exporting', None))

    name = tables.WrappingColumn('name', verbose_name=_('Name'))
    created_at = tables.Column('created_at', verbose_name=_('Time'))
    size = tables.Column(display.size, verbose_name=_('Size'))
    quiesced = tables.Column(lambda s: display.yes_no(s.quiesced),
                             verbose_name=_('Quiesced'))
    state = tables.Column(display.snapshot_state, verbose_name=_('State'),
                          status=True, status_choices=STATUS_CHOICES)

    def get_object_id(self, datum):
        return datum.name

    class Meta(object):
        name = 'snapshots'
        verbose_name = _('Snapshots')
        status_columns = ['state']
        row_class = UpdateSnapshotRow
        table_actions = (TakeSnapshotAction,)
        row_actions = (RevertAction, ExportAction, DeleteSnapshotAction)


# --------------------------------------------------------------------- sets

class CreateSetAction(tables.LinkAction):
    policy_rules = _rules('sets:create')
    name = 'create_set'
    verbose_name = _('Create Snapshot Set')
    url = 'horizon:project:lightsnap:create_set'
    classes = ('ajax-modal',)
    icon = 'plus'


class RestoreSetAction(tables.BatchAction):
    policy_rules = _rules('sets:restore')
    name = 'restore_set'
    action_type = 'danger'
    help_text = _('Every instance of the set goes back to the set\'s '
                  'snapshot; what was written since is discarded.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Restore Set', 'Restore Sets', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Restoring set', 'Restoring sets', count)

    def allowed(self, request, snapshot_set=None):
        return snapshot_set is None or snapshot_set.state == 'available'

    def action(self, request, obj_id):
        _batch_call(request, _('Unable to restore the snapshot set.'),
                    api.set_restore, obj_id)


class DeleteSetAction(tables.DeleteAction):
    policy_rules = _rules('sets:delete')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Set', 'Delete Sets', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleting set', 'Deleting sets', count)

    def allowed(self, request, snapshot_set=None):
        return snapshot_set is None or snapshot_set.state not in \
            display.BUSY_SET_STATES

    def delete(self, request, obj_id):
        _batch_call(request, _('Unable to delete the snapshot set.'),
                    api.set_delete, obj_id)


class UpdateSetRow(tables.Row):
    ajax = True

    def get_data(self, request, set_id):
        return api.set_get(request, set_id)


class SetsTable(tables.DataTable):
    STATUS_CHOICES = (('available', True), ('error', False),
                      ('creating', None), ('restoring', None),
                      ('deleting', None))

    name = tables.WrappingColumn('name', verbose_name=_('Name'))
    instances = tables.Column(
        lambda s: ', '.join(getattr(s, 'instance_names', None) or
                            s.instances),
        verbose_name=_('Instances'))
    created_at = tables.Column('created_at', verbose_name=_('Time'))
    state = tables.Column(display.set_state, verbose_name=_('State'),
                          status=True, status_choices=STATUS_CHOICES)

    class Meta(object):
        name = 'sets'
        verbose_name = _('Snapshot Sets')
        status_columns = ['state']
        row_class = UpdateSetRow
        table_actions = (CreateSetAction,)
        row_actions = (RestoreSetAction, DeleteSetAction)
