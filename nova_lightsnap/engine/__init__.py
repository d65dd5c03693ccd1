"""Light snapshots of libvirt domains: no Nova, no Django in here."""
