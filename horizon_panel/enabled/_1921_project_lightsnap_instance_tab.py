# Optional: a "Light snapshots" tab on Nova's own instance detail page.
# Copy or link it next to _1920_project_lightsnap_panel.py.
FEATURE = 'lightsnap_instance_tab'
EXTRA_TABS = {
    'openstack_dashboard.dashboards.project.instances.tabs.'
    'InstanceDetailTabs': (
        'horizon_panel.dashboards.project.lightsnap.tabs.'
        'InstanceLightSnapshotsTab',
    ),
}
