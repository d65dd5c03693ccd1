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

import re

from django.core import validators
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from horizon_panel.api import lightsnap as api
from horizon_panel.dashboards.project.lightsnap import errors

# Plain names only: the API refuses anything else too, this just says so
# before the round trip.
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
name_validator = validators.RegexValidator(
    NAME_RE, _('Use letters, digits, ".", "_" and "-" (a plain name, at most '
               '128 characters, not starting with "." or "-").'))

QUIESCE_CHOICES = (
    ('auto', _('Freeze the guest when it can (auto)')),
    ('required', _('Freeze the guest or fail (required)')),
    ('off', _('Do not freeze (crash-consistent)')),
)


def _detail_url(instance_id):
    return reverse('horizon:project:lightsnap:detail', args=[instance_id])


class TakeSnapshot(forms.SelfHandlingForm):
    instance_id = forms.CharField(widget=forms.HiddenInput())
    name = forms.CharField(
        max_length=128, required=False, label=_('Snapshot Name'),
        validators=[name_validator],
        help_text=_('Leave empty for a generated name.'))
    quiesce = forms.ChoiceField(label=_('Quiesce'), choices=QUIESCE_CHOICES,
                                initial='auto')

    def handle(self, request, data):
        instance_id = data['instance_id']
        try:
            snapshot = api.snapshot_create(request, instance_id,
                                           name=data['name'] or None,
                                           quiesce=data['quiesce'])
        except Exception:
            errors.handle(request, _('Unable to take the snapshot.'),
                          redirect=_detail_url(instance_id))
            return False
        messages.success(request, _('Taking snapshot "%s".') % snapshot.name)
        return snapshot


class ExportSnapshot(forms.SelfHandlingForm):
    instance_id = forms.CharField(widget=forms.HiddenInput())
    snapshot_name = forms.CharField(widget=forms.HiddenInput())
    file = forms.CharField(
        max_length=128, label=_('File Name'),
        validators=[name_validator],
        help_text=_('A plain file name, written into the compute host\'s '
                    'export directory, e.g. backup.qcow2.'))

    def handle(self, request, data):
        instance_id = data['instance_id']
        try:
            api.snapshot_export(request, instance_id, data['snapshot_name'],
                                data['file'])
        except Exception:
            errors.handle(request, _('Unable to export the snapshot.'),
                          redirect=_detail_url(instance_id))
            return False
        messages.success(request, _('Exporting snapshot "%(name)s" to '
                                    '%(file)s.') % {
                                        'name': data['snapshot_name'],
                                        'file': data['file']})
        return True


class CreateSet(forms.SelfHandlingForm):
    name = forms.CharField(max_length=128, label=_('Set Name'),
                           validators=[name_validator])
    instances = forms.MultipleChoiceField(
        label=_('Instances'), widget=forms.CheckboxSelectMultiple(),
        help_text=_('Instances with light snapshots enabled; they are '
                    'snapshotted at one point in time.'))
    quiesce = forms.ChoiceField(label=_('Quiesce'), choices=QUIESCE_CHOICES,
                                initial='auto')

    def __init__(self, request, *args, **kwargs):
        choices = kwargs.pop('instance_choices', [])
        super().__init__(request, *args, **kwargs)
        self.fields['instances'].choices = choices

    def handle(self, request, data):
        try:
            snapshot_set = api.set_create(request, data['name'],
                                          data['instances'],
                                          quiesce=data['quiesce'])
        except Exception:
            errors.handle(request, _('Unable to create the snapshot set.'),
                          redirect=reverse('horizon:project:lightsnap:index') +
                          '?tab=lightsnap_tabs__sets')
            return False
        messages.success(request, _('Creating snapshot set "%s".')
                         % snapshot_set.name)
        return snapshot_set
