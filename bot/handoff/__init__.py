"""Hand-off to human coordinators: modes, the queue, notifications and escalation."""
