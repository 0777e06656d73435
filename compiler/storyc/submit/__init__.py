"""Submitting compiled requests to the service: client, scheduler, journal and lock file."""
