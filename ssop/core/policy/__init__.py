"""Policy: which recommendations run by themselves, which wait for a human, and why."""
