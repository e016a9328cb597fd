"""Agencies (organisations) and their exam rooms (locations): the tenants of the platform."""
