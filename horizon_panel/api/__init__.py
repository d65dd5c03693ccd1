"""Clients of the services the panel uses (import the modules directly)."""
