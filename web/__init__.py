"""The outer shell: the FastAPI app (``web.api``), its pages (``web.static``) and the ``cspms`` command line
(``web.cli``). Nothing imports ``web``.
"""
