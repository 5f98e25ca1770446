"""Background jobs: one job table, task functions per kind, the embedded runner."""
