from django.utils.translation import gettext_lazy as _
import horizon


class LightSnap(horizon.Panel):
    name = _("Light Snapshots")
    slug = 'lightsnap'
    # Hidden unless the catalog has a 'lightsnap' service for the region.
    permissions = ('openstack.services.lightsnap',)
