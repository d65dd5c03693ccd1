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
