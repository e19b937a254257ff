"""The Starlette app: feeds, HTML pages, APIs."""
