"""The makeready SDK: a typed Python client of a makeready server, blocking or asyncio.

>>> from makeready.client import Client
>>> with Client("http://127.0.0.1:8000", username="admin", password="…") as client:
...     report = client.analyze("bracket.stl", mat_name="PA12", prc_acronym="sls", lot_size=50)
...     for chain in report.chains(feasible_only=True):
...         print(chain.name, chain.cost.cost_pp, chain.leadtime)

Results are the wire models of :mod:`makeready.wire` (the server's own response models).
See docs/sdk.md.
"""

from makeready.client.local import LocalServer
from makeready.client.protocol import ProgressCallback, ServerError, TaskFailedError, WaitTimeoutError
from makeready.client.sessions import AsyncClient, Client

__all__ = [
    "AsyncClient",
    "Client",
    "LocalServer",
    "ProgressCallback",
    "ServerError",
    "TaskFailedError",
    "WaitTimeoutError",
]
