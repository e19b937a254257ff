"""The Starlette web layer: public feeds with conditional GET, HTML pages, health.

``feeds.web.app.build_app`` builds the application; everything else here is one piece of it.
"""
