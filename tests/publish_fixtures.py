"""A small multilingual newsroom for the publish tests: en, hy, ru stories with bylines,
tags, a lead image, hostile text and one story aggregated from an external feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from feeds import i18n
from feeds.model import Article, Author, Image, SourceRef, Status, Translation
from feeds.publish import FeedDescription, FeedKey, Format, Kind

BASE = "https://news.example"
LANGUAGES = ("en", "hy", "ru")
TITLES = {"en": "Caucasus Wire", "hy": "Կովկաս Լուր", "ru": "Кавказ Вайр"}
HUB = "https://hub.example/"
YEREVAN = timezone(timedelta(hours=4))

ANNA = Author("Anna Petrosyan", email="anna@news.example", url=f"{BASE}/en/author/anna-petrosyan")
DAVIT = Author("Davit Grigoryan")
MARIA = Author("Мария Иванова", url=f"{BASE}/ru/author/мария-иванова")

# Body HTML that breaks naive CDATA wrapping and naive escaping.
HOSTILE_BODY = (
    '<p>Fares rise from 100 to 200 &amp; more; see <a href="https://x.example/?a=1&amp;b=2">'
    'the table</a>.</p><pre>if (a[b[0]]>1) { x = "]]>"; }</pre><p>]]&gt; and <![CDATA[ '
    "literally: ]]></p>"
)
# HOSTILE_BODY as every feed carries it: sanitised at render time (feeds.safehtml), so
# links gain rel, a ">" in text is escaped and the CDATA section (a comment to HTML) goes.
PUBLISHED_BODY = (
    '<p>Fares rise from 100 to 200 &amp; more; see <a href="https://x.example/?a=1&amp;b=2" '
    'rel="noopener noreferrer">the table</a>.</p><pre>if (a[b[0]]&gt;1) { x = "]]&gt;"; }'
    "</pre><p>]]&gt; and </p>"
)


def _t(lang: str, slug: str, title: str, summary: str = "", body: str = "") -> Translation:
    return Translation(lang, title, f"{BASE}/{lang}/news/{slug}", summary, body)


def budget() -> Article:
    """Three languages, two bylines, a lead image with caption and credit."""
    return Article(
        id="2026-budget",
        status=Status.PUBLISHED,
        published=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        updated=datetime(2026, 11, 27, 10, 15, tzinfo=UTC),
        section="Politics",
        tags=("Budget", "Parliament"),
        authors=(ANNA, DAVIT),
        image=Image(
            url=f"{BASE}/media/parliament.jpg",
            width=1600,
            height=900,
            mime_type="image/jpeg",
            caption="The National Assembly in Yerevan & its dome",
            credit="Photo: Armen Sargsyan",
        ),
        translations=(
            _t(
                "en",
                "2026-budget",
                "Parliament passes the 2027 budget",
                "Deputies approved spending of 3 trillion drams.",
                "<p>Deputies approved the budget <em>after</em> a 12-hour debate.</p>",
            ),
            _t(
                "hy",
                "2026-budget",
                "Խորհրդարանն ընդունեց 2027 թվականի բյուջեն",
                "Պատգամավորները հաստատեցին 3 տրիլիոն դրամի ծախսեր։",
                "<p>Պատգամավորները բյուջեն հաստատեցին 12-ժամյա քննարկումից հետո։</p>",
            ),
            _t(
                "ru",
                "2026-budget",
                "Парламент принял бюджет на 2027 год",
                "Депутаты одобрили расходы в 3 триллиона драмов.",
                "<p>Депутаты одобрили бюджет после 12-часовых дебатов.</p>",
            ),
        ),
    )


def metro() -> Article:
    """Hostile text: ampersands, angle brackets and ']]>' in the title, summary and body."""
    return Article(
        id="yerevan-metro-fares",
        status=Status.PUBLISHED,
        published=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
        updated=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
        section="Society",
        tags=("Transport", "Yerevan"),
        authors=(MARIA,),
        translations=(
            _t(
                "en",
                "metro",
                "Metro fares & <tickets> double ]]> overnight",
                "Riders pay 200 drams & up from Monday <b>not bold</b>.",
                HOSTILE_BODY,
            ),
            _t(
                "hy",
                "metro",
                "Մետրոյի ուղեվարձը կրկնապատկվում է",
                "Երկուշաբթիից՝ 200 դրամ։",
                HOSTILE_BODY,
            ),
        ),
    )


def election() -> Article:
    """Russian first, with a Cyrillic tag; dates given in Yerevan time (+04:00)."""
    return Article(
        id="local-elections",
        status=Status.PUBLISHED,
        published=datetime(2026, 11, 25, 12, 0, tzinfo=YEREVAN),
        updated=datetime(2026, 11, 27, 13, 45, tzinfo=YEREVAN),
        section="Politics",
        tags=("Выборы",),
        authors=(ANNA, MARIA),
        translations=(
            _t(
                "ru",
                "elections",
                "Местные выборы: явка 48 %",
                "ЦИК подвёл итоги «второго тура».",
                "<p>Явка составила 48&nbsp;% — на 3 пункта выше.</p>",
            ),
            _t("en", "elections", "Local elections: turnout 48%", "Results of the runoff."),
        ),
    )


def gyumri() -> Article:
    """Armenian only, summary only (no body): Atom needs the alternate link here."""
    return Article(
        id="gyumri-festival",
        status=Status.PUBLISHED,
        published=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
        updated=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
        section="Culture",
        tags=("Գյումրի",),
        authors=(DAVIT,),
        translations=(_t("hy", "gyumri", "Գյումրիի փառատոնը", "Երեք օր երաժշտություն։"),),
    )


def aggregated() -> Article:
    """Copied from an external feed: keeps its own link, has no byline."""
    return Article(
        id="agg-armenian-weekly-1",
        status=Status.PUBLISHED,
        published=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
        updated=datetime(2026, 11, 27, 8, 5, tzinfo=UTC),
        translations=(
            Translation(
                "en",
                "Diaspora groups plan winter aid",
                "https://weekly.example/2026/11/27/winter-aid",
                "Aid convoys leave next week.",
                "<p>Aid convoys leave next week.</p>",
            ),
        ),
        source=SourceRef(
            title="The Armenian Weekly",
            feed_url="https://weekly.example/feed/",
            link="https://weekly.example/",
            lang="en",
        ),
    )


def all_articles() -> list[Article]:
    """Every fixture story, oldest first (render must reorder them)."""
    return [election(), gyumri(), metro(), aggregated(), budget()]


def feed_url(selection: FeedKey, fmt: Format) -> str:
    return BASE + selection.in_format(fmt).path


def describe(
    selection: FeedKey,
    fmt: Format,
    *,
    full_text: bool = True,
    hubs: tuple[str, ...] = (HUB,),
) -> FeedDescription:
    """The description the web layer would build for ``selection`` in ``fmt``."""
    lang = selection.lang
    return FeedDescription(
        key=selection.in_format(fmt),
        title=TITLES[lang],
        description=f"{TITLES[lang]} — news in {lang}",
        home_url=f"{BASE}/{lang}/",
        self_url=feed_url(selection, fmt),
        icon=f"{BASE}/static/icon.png",
        logo=f"{BASE}/static/logo.png",
        publisher="Caucasus Wire",
        language_alternates=tuple(
            (other, feed_url(selection.with_lang(other), fmt))
            for other in LANGUAGES
            if other != lang
        ),
        format_alternates=tuple(
            (other, feed_url(selection, other)) for other in Format if other is not fmt
        ),
        hubs=hubs,
        extra_links=(("prev-archive", f"{BASE}/{lang}/archive/2026-10/{fmt.filename}"),),
        copyright="© 2026 Caucasus Wire",
        full_text=full_text,
        words=i18n.words(lang),
    )


# The feeds the tests render: every language, each kind of narrowed feed, the aggregated
# feed, and a feed nothing matches.
SELECTIONS = (
    FeedKey("en"),
    FeedKey("hy"),
    FeedKey("ru"),
    FeedKey("en", Kind.SECTION, "politics"),
    FeedKey("ru", Kind.TAG, "выборы"),
    FeedKey("hy", Kind.TAG, "գյումրի"),
    FeedKey("en", Kind.AUTHOR, "anna-petrosyan"),
    FeedKey("en", Kind.AGGREGATED),
    FeedKey("ru", Kind.AUTHOR, "nobody"),
)


def chosen(selection: FeedKey) -> list[Article]:
    """What the web layer would pass to render for ``selection``."""
    return [a for a in all_articles() if selection.holds(a)]
