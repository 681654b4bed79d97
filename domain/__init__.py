"""citynet's domain: aggregates and their events. Pure Python, no I/O."""
