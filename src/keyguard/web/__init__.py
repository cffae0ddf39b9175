"""The web user interface: server-rendered Jinja2 pages with HTMX, one module per area in
``web/routes``, templates in ``web/templates/<area>/`` (HTMX partials named ``_x.html``),
vendored JavaScript in ``web/static/vendor`` (no CDN). See ``docs/web.md``.

May import every layer below ``cli | web | api``; never ``keyguard.api`` or ``keyguard.cli``
(the API joins the application through the ``keyguard_web_routers`` hook).
"""
