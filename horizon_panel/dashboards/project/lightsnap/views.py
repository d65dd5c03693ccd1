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
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import tables as horizon_tables
from horizon import tabs as horizon_tabs
from horizon.utils import memoized

from horizon_panel.api import lightsnap as api
from horizon_panel.api import nova_names
from horizon_panel.dashboards.project.lightsnap import errors
from horizon_panel.dashboards.project.lightsnap import forms as ls_forms
from horizon_panel.dashboards.project.lightsnap import tables
from horizon_panel.dashboards.project.lightsnap import tabs

INDEX_URL = 'horizon:project:lightsnap:index'


class IndexView(horizon_tabs.TabbedTableView):
    tab_group_class = tabs.LightSnapTabs
    template_name = 'horizon/common/_detail.html'
    page_title = _('Light Snapshots')


class DetailView(horizon_tables.DataTableView):
    table_class = tables.SnapshotsTable
    template_name = 'lightsnap/detail.html'
    page_title = _('Light snapshots of {{ instance.name }}')

    @memoized.memoized_method
    def get_instance(self):
        instance_id = self.kwargs['instance_id']
        try:
            instance = api.instance_get(self.request, instance_id)
        except Exception:
            errors.handle(self.request, _('Unable to read the instance.'),
                          redirect=reverse(INDEX_URL))
        instance.name = (nova_names.server_name(self.request, instance_id) or
                         instance.name)
        return instance

    def get_data(self):
        try:
            return api.snapshot_list(self.request, self.kwargs['instance_id'])
        except Exception:
            errors.handle(self.request, _('Unable to list the snapshots.'))
            return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['instance'] = self.get_instance()
        context['url'] = reverse(INDEX_URL)
        return context


class _InstanceFormView(forms.ModalFormView):
    """A modal form on one instance (or one of its snapshots): it posts to
    its own URL and goes back to the instance's snapshots."""
    url_kwargs = ('instance_id',)

    def _args(self):
        return [self.kwargs[name] for name in self.url_kwargs]

    def get_success_url(self):
        return reverse('horizon:project:lightsnap:detail',
                       args=[self.kwargs['instance_id']])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = reverse(self.submit_url, args=self._args())
        return context

    def get_initial(self):
        return dict(zip(self.url_kwargs, self._args()))


class TakeSnapshotView(_InstanceFormView):
    form_class = ls_forms.TakeSnapshot
    form_id = 'lightsnap_take_snapshot_form'
    modal_id = 'lightsnap_take_snapshot_modal'
    template_name = 'lightsnap/take_snapshot.html'
    page_title = _('Take Snapshot')
    submit_label = _('Take Snapshot')
    submit_url = 'horizon:project:lightsnap:take_snapshot'


class ExportView(_InstanceFormView):
    form_class = ls_forms.ExportSnapshot
    form_id = 'lightsnap_export_form'
    modal_id = 'lightsnap_export_modal'
    template_name = 'lightsnap/export.html'
    page_title = _('Export Snapshot')
    submit_label = _('Export')
    submit_url = 'horizon:project:lightsnap:export'
    url_kwargs = ('instance_id', 'snapshot_name')

    def get_initial(self):
        initial = super().get_initial()
        initial['file'] = '%s.qcow2' % self.kwargs['snapshot_name']
        return initial


class CreateSetView(forms.ModalFormView):
    form_class = ls_forms.CreateSet
    form_id = 'lightsnap_create_set_form'
    modal_id = 'lightsnap_create_set_modal'
    template_name = 'lightsnap/create_set.html'
    page_title = _('Create Snapshot Set')
    submit_label = _('Create Snapshot Set')
    submit_url = reverse_lazy('horizon:project:lightsnap:create_set')

    def get_success_url(self):
        return reverse(INDEX_URL) + '?tab=lightsnap_tabs__sets'

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        try:
            instances = [i for i in api.instance_list(self.request)
                         if i.enabled]
        except Exception:
            errors.handle(self.request, _('Unable to list the instances.'))
            instances = []
        names = nova_names.server_names(self.request)
        kwargs['instance_choices'] = [(i.id, names.get(i.id, i.id))
                                      for i in instances]
        return kwargs
