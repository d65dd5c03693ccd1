"""compute_driver = lightsnap.driver.LightSnapLibvirtDriver (Nova adds nova.virt.)."""
