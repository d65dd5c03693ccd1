"""The Nova side of nova-lightsnap: the only package that imports Nova.

``driver`` is the compute driver nova-compute loads (through the shim
package nova.virt.lightsnap); ``locator`` maps an instance to the engine,
``hooks`` is what the driver's lifecycle overrides do to light snapshots,
``host`` the engine on nova-compute's libvirt connection, ``volume`` the
volume drivers Nova no longer ships, and ``nova_private`` every private
name of Nova used, checked at start.
"""
