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

from django.utils.translation import gettext_lazy as _
from horizon import tabs

from horizon_panel.api import lightsnap as api
from horizon_panel.api import nova_names
from horizon_panel.dashboards.project.lightsnap import display
from horizon_panel.dashboards.project.lightsnap import errors
from horizon_panel.dashboards.project.lightsnap import tables


def _listed(request, call, failure):
    try:
        return call(request)
    except Exception:
        errors.handle(request, failure)
        return []


class InstancesTab(tabs.TableTab):
    name = _('Instances')
    slug = 'instances'
    table_classes = (tables.InstancesTable,)
    template_name = 'horizon/common/_detail_table.html'
    preload = False

    def get_instances_data(self):
        instances = _listed(self.request, api.instance_list,
                            _('Unable to list the instances.'))
        names = nova_names.server_names(self.request)
        for instance in instances:
            instance.name = names.get(instance.id) or instance.name
        return sorted(instances, key=lambda i: (i.name, i.id))


class SetsTab(tabs.TableTab):
    name = _('Snapshot Sets')
    slug = 'sets'
    table_classes = (tables.SetsTable,)
    template_name = 'horizon/common/_detail_table.html'
    preload = False

    def get_sets_data(self):
        sets = _listed(self.request, api.set_list,
                       _('Unable to list the snapshot sets.'))
        names = nova_names.server_names(self.request)
        for snapshot_set in sets:
            snapshot_set.instance_names = [names.get(u, u)
                                           for u in snapshot_set.instances]
        return sets


class LightSnapTabs(tabs.TabGroup):
    slug = 'lightsnap_tabs'
    tabs = (InstancesTab, SetsTab)
    sticky = True


class InstanceLightSnapshotsTab(tabs.Tab):
    """The optional tab on Nova's own instance detail page (EXTRA_TABS)."""
    name = _('Light snapshots')
    slug = 'lightsnap'
    template_name = 'lightsnap/_instance_tab.html'
    preload = False

    def allowed(self, request):
        return api.is_available(request)

    def get_context_data(self, request):
        instance_id = self.tab_group.kwargs['instance_id']
        context = {'instance_id': instance_id, 'lightsnap': None,
                   'snapshots': []}
        try:
            context['lightsnap'] = api.instance_get(request, instance_id)
            context['snapshots'] = api.snapshot_list(request, instance_id)
        except Exception:
            errors.handle(request, _('Unable to read the light snapshots.'))
        for snapshot in context['snapshots']:
            snapshot.state_html = display.snapshot_state(snapshot)
        return context
