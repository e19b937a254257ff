"""``feeds partners``: add, list, revoke, rotate, check and sign partner access.

``add`` and ``rotate`` print the new token once, alone on the last line, so a script can
take it with ``tail -n 1``; only its SHA-256 is stored.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from feeds.cli_common import ConfigOption, fail, settings_from, store_from
from feeds.partner_schema import PROFILE_SPECS, ProfileSpec
from feeds.partner_settings import check_profile, option_from_text, option_problem, scope_problem
from feeds.publish.profiles import get_profile
from feeds.store.partners import PartnerRecord, hash_token, new_token
from feeds.syndicate.registry import PartnerRegistry, sign_path
from feeds.web.partners import partner_feed

partners_app = typer.Typer(help="Partners: tokens, profiles and checks.", no_args_is_help=True)


Many = Annotated[list[str] | None, typer.Option(show_default=False)]


def _options(
    profile: ProfileSpec, pairs: list[str], kept: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``--option KEY=VALUE`` pairs, typed and checked against ``profile``'s options
    (together with the ``kept`` options the partner already has)."""
    options: dict[str, Any] = dict(kept or {})
    given: list[str] = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise fail(f"--option {pair!r}: write KEY=VALUE, e.g. rate_limit=120")
        options[key] = option_from_text(profile, key, value.strip(), options)
        given.append(key)
    for key in given:
        if (why := option_problem(profile, key, options[key], options)) is not None:
            raise fail(f"--option {key}: {why}")
    return options


@partners_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Partner name (lowercase, appears in its URLs).")],
    profile: Annotated[str, typer.Option(help="One of: " + ", ".join(PROFILE_SPECS))] = "generic",
    language: Many = None,
    section: Many = None,
    tag: Many = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            help="Profile option KEY=VALUE (rate_limit, max_items, accent_color...); "
            "lists comma-separated (formats=rss,atom)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Register a partner and print its first token (shown once, on the last line)."""
    settings = settings_from(config)
    chosen = check_profile(profile)
    if isinstance(chosen, str):
        raise fail(f"--profile: {chosen}")
    for lang in language or ():
        if lang not in settings.site.languages:
            raise fail(
                f"--language {lang!r}: the site publishes {', '.join(settings.site.languages)}"
            )
    for kind, values in (("section", section), ("tag", tag)):
        for value in values or ():
            if (why := scope_problem(kind + "s", value)) is not None:
                raise fail(f"--{kind}: {why}")
    if name in {p.name for p in settings.partners}:
        raise fail(f"partner {name!r} is declared in the config file; use rotate for a token")
    record = PartnerRecord(
        name=name,
        profile=profile,
        languages=tuple(language or ()),
        sections=tuple(section or ()),
        tags=tuple(tag or ()),
        options=_options(chosen, option or []),
    )
    store = store_from(settings)
    try:
        token = store.partners.add(record, datetime.now(UTC))
    finally:
        store.close()
    typer.echo(f"added partner {name} (profile {profile}); its token, shown only now:")
    typer.echo(token)


@partners_app.command("set")
def set_settings(
    name: str,
    profile: Annotated[str | None, typer.Option(help="A new profile.")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(help="Set a profile option KEY=VALUE (as for add); repeat as needed."),
    ] = None,
    unset: Annotated[
        list[str] | None, typer.Option(help="Remove a profile option KEY; repeat as needed.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Change a stored partner's profile or options; its tokens stay valid.

    The result is checked like ``add``: a partner that could not be served is refused.
    """
    settings = settings_from(config)
    if name in {p.name for p in settings.partners}:
        raise fail(f"partner {name!r} is declared in the config file; change it there")

    def change(record: PartnerRecord) -> PartnerRecord:
        chosen = check_profile(profile if profile is not None else record.profile)
        if isinstance(chosen, str):
            raise fail(f"--profile: {chosen}")
        kept = {k: v for k, v in record.options.items() if k not in (unset or ())}
        options = _options(chosen, option or [], kept)
        return dataclasses.replace(record, profile=chosen.name, options=options)

    store = store_from(settings)
    try:
        changed = store.partners.change_settings(name, change)
    finally:
        store.close()
    typer.echo(f"updated partner {name} (profile {changed.profile})")


@partners_app.command("list")
def list_partners(config: ConfigOption = None) -> None:
    """Every partner: name, profile, scope, where it is declared, and whether it is revoked."""
    settings = settings_from(config)
    store = store_from(settings)
    try:
        registry = PartnerRegistry(store, settings.partners)
        records = registry.all()
        for record in records:
            known = registry.lookup(record.name)
            tokens = len(known.token_hashes) if known else 0
            scope = ",".join(record.languages) or "all languages"
            if record.sections:
                scope += "; sections " + ",".join(record.sections)
            if record.tags:
                scope += "; tags " + ",".join(record.tags)
            state = "revoked" if record.revoked or known is None else f"{tokens} token(s)"
            if record.problems:
                state += "; bad settings (see feeds partners check)"
            typer.echo(f"{record.name}\t{record.profile}\t{scope}\t{record.origin}\t{state}")
        if not records:
            typer.echo("no partners yet: feeds partners add NAME --profile generic")
    finally:
        store.close()


@partners_app.command("revoke")
def revoke(name: str, config: ConfigOption = None) -> None:
    """Revoke a partner and all its tokens, at once, for every server process."""
    settings = settings_from(config)
    store = store_from(settings)
    registry = PartnerRegistry(store, settings.partners)
    try:
        count = store.partners.revoke(name, datetime.now(UTC), registry.config_hashes(name))
    finally:
        store.close()
    typer.echo(f"revoked partner {name} ({count} token(s))")


@partners_app.command("rotate")
def rotate(name: str, config: ConfigOption = None) -> None:
    """Replace a partner's tokens with a new one, printed once on the last line."""
    settings = settings_from(config)
    store = store_from(settings)
    registry = PartnerRegistry(store, settings.partners)
    try:
        token = store.partners.rotate(name, datetime.now(UTC), registry.config_hashes(name))
    finally:
        store.close()
    typer.echo(f"new token for {name}; the old ones no longer work. Shown only now:")
    typer.echo(token)


@partners_app.command("check")
def check(name: str, config: ConfigOption = None) -> None:
    """List the stories this partner's profile leaves out, and the rule each one breaks."""
    settings = settings_from(config)
    store = store_from(settings)
    try:
        known = PartnerRegistry(store, settings.partners).lookup(name)
        if known is None:
            raise fail(f"no active partner named {name!r}")
        record = known.record
        if record.problems:
            # A row stored before settings were checked: its feeds answer 503 until fixed.
            for problem in record.problems:
                typer.echo(f"{name}: settings: {problem}")
            typer.echo(
                f"{name}: its feeds answer 503 until its settings are fixed "
                f"(feeds partners set {name} --profile P --option KEY=VALUE --unset KEY)"
            )
            raise typer.Exit(1)
        profile = get_profile(record.profile)
        now = datetime.now(UTC)
        problems = 0
        for lang in record.languages or settings.site.languages:
            feed = partner_feed(settings.site, store, record, lang, None, profile.formats[0], now)
            typer.echo(f"[{lang}] {len(feed.included)} stories in the feed")
            for note in feed.notes:
                typer.echo(f"[{lang}] note: {note}")
            for v in feed.violations:
                problems += 1
                typer.echo(f"[{lang}] {v.article_id}: left out: {v.rule}")
    finally:
        store.close()
    if problems:
        raise typer.Exit(1)


@partners_app.command("sign")
def sign(
    name: str,
    path: Annotated[str, typer.Argument(help="e.g. /partners/NAME/en/rss")],
    config: ConfigOption = None,
) -> None:
    """Print a signed URL (``?key=``) for readers that cannot send an Authorization header."""
    settings = settings_from(config)
    store = store_from(settings)
    try:
        known = PartnerRegistry(store, settings.partners).lookup(name)
    finally:
        store.close()
    if known is None or not known.token_hashes:
        raise fail(f"no active partner named {name!r} with a token")
    if not path.startswith(f"/partners/{name}/"):
        raise fail(f"path must start with /partners/{name}/")
    key = sign_path(known.token_hashes[-1], path)
    typer.echo(settings.site.absolute(path) + "?key=" + key)


@partners_app.command("hash")
def hash_command(
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Hash the token read from standard input.")
    ] = False,
) -> None:
    """For a ``[[partners]]`` entry in the config file: a new token and its
    ``token_hashes`` value (the token alone on the last line, shown only now)."""
    if stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise fail("--stdin: no token on standard input")
        typer.echo(hash_token(token))
        return
    token = new_token()
    typer.echo(f'token_hashes = ["{hash_token(token)}"]; its token, shown only now:')
    typer.echo(token)
