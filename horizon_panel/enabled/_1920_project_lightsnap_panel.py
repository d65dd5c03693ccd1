# "Light Snapshots" under Project > Compute. Copy or link this file into
# openstack_dashboard/local/enabled/ to turn the panel on.
from horizon_panel import exceptions as _ls_exc

PANEL = 'lightsnap'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'compute'
ADD_PANEL = 'horizon_panel.dashboards.project.lightsnap.panel.LightSnap'
ADD_INSTALLED_APPS = ['horizon_panel']
# The API's errors become Horizon messages instead of error pages, and a
# vanished snapshot or set drops out of an auto-refreshing table.
ADD_EXCEPTIONS = {
    'recoverable': (_ls_exc.ApiError,),
    'not_found': (_ls_exc.NotFound,),
}
