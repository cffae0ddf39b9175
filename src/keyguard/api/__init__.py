"""The REST API under ``/api/v1``: thin FastAPI routers over the services, one module per
area (each with ``router``), found by ``web/app.py``. JSON twins of the HTML pages.

May import every layer below the web.
"""
