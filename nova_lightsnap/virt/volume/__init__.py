"""Libvirt volume drivers that Nova no longer ships, for our driver's map."""
