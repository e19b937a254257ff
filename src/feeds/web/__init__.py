"""The Starlette web layer: public feeds with conditional GET, HTML pages, health.

``feeds.web.app.create_app`` builds the application; everything else here is one piece of it.
"""
