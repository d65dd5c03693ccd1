from nova_lightsnap.virt.driver import LightSnapLibvirtDriver
__all__ = ['LightSnapLibvirtDriver']
