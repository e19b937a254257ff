"""The version ``feeds --version`` prints: the installed distribution's, so a wheel or an
editable install both report what pyproject.toml says; ``feeds.__version__`` when the
package runs from a source tree that was never installed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import feeds


def installed_version() -> str:
    try:
        return version("feeds")
    except PackageNotFoundError:
        return feeds.__version__
