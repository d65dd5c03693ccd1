from nova_lightsnap.driver import LightSnapLibvirtDriver
__all__ = ['LightSnapLibvirtDriver']
