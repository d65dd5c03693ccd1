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

from django.urls import re_path

from horizon_panel.dashboards.project.lightsnap import views

INSTANCE = r'^instances/(?P<instance_id>[^/]+)/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(INSTANCE + r'$', views.DetailView.as_view(), name='detail'),
    re_path(INSTANCE + r'snapshot/$', views.TakeSnapshotView.as_view(),
            name='take_snapshot'),
    re_path(INSTANCE + r'snapshots/(?P<snapshot_name>[^/]+)/export/$',
            views.ExportView.as_view(), name='export'),
    re_path(r'^sets/create/$', views.CreateSetView.as_view(),
            name='create_set'),
]
