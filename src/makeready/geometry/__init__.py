"""The pure geometry core: value objects, file formats and (later) analysis.

Nothing here knows HTTP, databases or job queues; an import-linter contract keeps it so.
"""
