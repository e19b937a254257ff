"""The polling reader: fetch other outlets' feeds safely, parse, decide, store as Articles."""

import logging

# Library logging: silent unless the program (``feeds aggregate``, the server) configures it.
logging.getLogger("feeds.aggregate").addHandler(logging.NullHandler())
