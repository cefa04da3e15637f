"""The runtime, pure: events in, new execution state, effects and trace out (no I/O)."""
