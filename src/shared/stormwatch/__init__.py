"""Stormwatch: alarms in, incidents out. The domain package shared by every Lambda handler."""
