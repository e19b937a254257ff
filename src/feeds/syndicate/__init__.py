"""Syndication: who a partner is and what it may read, and the WebSub notifier.

- ``registry``: partners from the config and the store, looked up by name or token;
- ``credentials``: the Bearer, Basic or signed-URL credential of a request;
- ``scope``: the languages, sections, tags and formats a partner may read;
- ``notifier``: delivers the store's WebSub outbox to the hubs.

Imports model, config, store and publish, never web: the web layer (partner feed routes,
the notifier as a background job) and the ``feeds partners`` CLI import it.
"""
