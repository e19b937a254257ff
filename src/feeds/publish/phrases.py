"""Every word feeds and pages add around the newsroom's own text, in one table.

The newsroom writes its stories, titles and descriptions itself (``[site.titles]``,
``[site.descriptions]``); what the software says around them lives here, per language
(BCP 47 primary subtag): feed titles ("From other sources"), the words of the HTML
pages, the conjunction of a byline. A language we have no phrase for falls back to
English, except where a fallback would be wrong (``translated``).
"""

from __future__ import annotations

from feeds.feedkeys import Format

__all__ = ["FORMAT_NAMES", "LANGUAGE_NAMES", "format_name", "language_name", "phrase", "translated"]

# Each language named in itself, for menus that list languages side by side.
LANGUAGE_NAMES = {"en": "English", "hy": "Հայերեն", "ru": "Русский"}

FORMAT_NAMES = {Format.RSS: "RSS", Format.ATOM: "Atom", Format.JSON: "JSON Feed"}

_PHRASES: dict[str, dict[str, str]] = {
    # Feed titles, OPML and the feed lists of the pages.
    "aggregated": {
        "en": "From other sources",
        "hy": "Այլ աղբյուրներից",
        "ru": "Из других источников",
    },
    "latest": {"en": "Latest stories", "hy": "Վերջին լուրերը", "ru": "Последние новости"},
    "feeds": {"en": "Feeds", "hy": "Լրահոսեր", "ru": "Ленты"},
    "section": {"en": "Section", "hy": "Բաժին", "ru": "Раздел"},
    "tag": {"en": "Tag", "hy": "Պիտակ", "ru": "Тег"},
    "author": {"en": "Author", "hy": "Հեղինակ", "ru": "Автор"},
    # A byline's word before its last name: "Anna and Boris" (feeds.publish.byline).
    "and": {"en": "and", "hy": "և", "ru": "и"},
    # The article page.
    "other_languages": {"en": "Other languages", "hy": "Այլ լեզուներով", "ru": "На других языках"},
    "updated": {"en": "Updated", "hy": "Թարմացվել է", "ru": "Обновлено"},
    "tags": {"en": "Tags", "hy": "Պիտակներ", "ru": "Теги"},
    "subscribe": {"en": "Subscribe", "hy": "Բաժանորդագրվել", "ru": "Подписаться"},
    "source": {"en": "Source", "hy": "Աղբյուր", "ru": "Источник"},
    "read_original": {
        "en": "Read the full story at",
        "hy": "Կարդալ ամբողջությամբ՝",
        "ru": "Читать полностью на сайте",
    },
    # The news page (/{lang}/news).
    "news_feed": {"en": "News feed", "hy": "Լրահոս", "ru": "Лента новостей"},
    "via": {"en": "via", "hy": "աղբյուր՝", "ru": "через"},
    "sources": {"en": "Sources", "hy": "Աղբյուրներ", "ru": "Источники"},
    "all_stories": {"en": "All stories", "hy": "Բոլորը", "ru": "Все новости"},
    "no_stories": {"en": "No stories yet.", "hy": "Լուրեր դեռ չկան։", "ru": "Новостей пока нет."},
    "elsewhere": {
        "en": "This source publishes in another language:",
        "hy": "Այս աղբյուրը հրապարակում է այլ լեզվով՝",
        "ru": "Этот источник публикует новости на другом языке:",
    },
    # The news page's search box, pages and story clusters.
    "search": {"en": "Search", "hy": "Որոնել", "ru": "Искать"},
    "search_stories": {"en": "Search stories", "hy": "Որոնել լուրեր", "ru": "Поиск по новостям"},
    "search_results": {
        "en": "Stories matching",
        "hy": "Որոնման արդյունքները՝",
        "ru": "Новости по запросу",
    },
    "no_matches": {
        "en": "No stories match this search.",
        "hy": "Այս որոնմամբ լուրեր չգտնվեցին։",
        "ru": "По этому запросу новостей не найдено.",
    },
    "search_help": {
        "en": 'Every word must appear; "quotes" for a phrase, word* for a prefix, -word to'
        " leave out.",
        "hy": "Բոլոր բառերը պետք է լինեն. «չակերտներով»՝ արտահայտություն, բառ*՝ սկիզբ,"
        " -բառ՝ բացառել։",
        "ru": 'Все слова должны встречаться; "кавычки" для фразы, слово* для начала слова,'
        " -слово чтобы исключить.",
    },
    "search_empty": {
        "en": "Type at least one word to look for.",
        "hy": "Գրեք առնվազն մեկ բառ։",
        "ru": "Введите хотя бы одно слово для поиска.",
    },
    "search_prefix": {
        "en": "A word ending in * needs at least two letters before the *.",
        "hy": "*-ով ավարտվող բառը պետք է ունենա առնվազն երկու տառ։",
        "ru": "Перед * нужно хотя бы две буквы.",
    },
    "search_long": {
        "en": "This search is too long: use fewer words.",
        "hy": "Որոնումը շատ երկար է. օգտագործեք ավելի քիչ բառեր։",
        "ru": "Слишком длинный запрос: используйте меньше слов.",
    },
    "older": {"en": "Older stories", "hy": "Ավելի հին լուրեր", "ru": "Более ранние новости"},
    "newest": {"en": "Newest stories", "hy": "Վերջին լուրերը", "ru": "Свежие новости"},
    "pages": {"en": "Pages", "hy": "Էջեր", "ru": "Страницы"},
    "also_reported": {"en": "Also reported by", "hy": "Հաղորդել են նաև", "ru": "Также сообщили"},
}


def translated(key: str, lang: str) -> str | None:
    """Phrase ``key`` in ``lang``, or None when we have no translation for it."""
    return _PHRASES[key].get(lang.split("-")[0].lower())


def phrase(key: str, lang: str) -> str:
    """Phrase ``key`` in ``lang``; English when we have no translation."""
    return translated(key, lang) or _PHRASES[key]["en"]


def language_name(lang: str) -> str:
    """``lang`` named in itself ("Հայերեն"); the tag itself for a language we don't know."""
    return LANGUAGE_NAMES.get(lang, lang)


def format_name(fmt: Format) -> str:
    return FORMAT_NAMES[fmt]
