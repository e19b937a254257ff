"""A bad config is one readable error naming the file, the key and what is allowed;
env vars override the file and are checked the same way."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from feeds.aggregate.policy import AddressPolicy
from feeds.config import ConfigError, _Table, load_settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "feeds.toml"
HASH = "1dadeac5e7b1c964057e5bafb6559b2499c58f18f4ae1db70ab9ca6af91adbab"
PARTNER = "[site]\nlanguages = ['en', 'ru']\n[[partners]]\nname = 'p'\n"
PROFILES = "generic, summary, msn, flipboard, feedly, yandex, smartnews"
COMMON = "rate_limit, max_items, max_bytes, full_text, formats, extensions"
ENTRY = (
    "(an entry is a host name, an IP address or a network, "
    "e.g. feeds.example, 127.0.0.1, 10.1.0.0/16)"
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_with_every_key_known() -> None:
    # load_settings refuses unknown keys, so loading at all proves there are none.
    settings = load_settings(EXAMPLE, env={})
    assert settings.site.languages == ("en", "hy", "ru")
    assert settings.site.title("hy") == "Կովկաս Լուր"
    assert settings.database_url == "sqlite:///var/feeds.db"
    assert [p.name for p in settings.partners] == ["demo-portal"]


def test_the_example_with_one_misspelt_key_is_refused(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("max_items = 50", "max_itmes = 50")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value) == f"{path}: site.max_itmes: unknown key (did you mean max_items?)"


def test_environment_overrides_the_file() -> None:
    env = {
        "FEEDS_DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
        "FEEDS_ALLOW_HOSTS": "127.0.0.1, localhost",
        "FEEDS_BASE_URL": "https://news.example/",
        "FEEDS_INGEST_TOKENS": "a,b",
    }
    settings = load_settings(EXAMPLE, env=env)
    assert settings.database_url == "postgresql://postgres@127.0.0.1/test"
    assert settings.aggregator.allow_hosts == ("127.0.0.1", "localhost")
    assert settings.site.base_url == "https://news.example"
    assert settings.site.absolute("/en/rss.xml") == "https://news.example/en/rss.xml"
    assert settings.ingest_tokens == ("a", "b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # unknown keys, at every level, with the closest known key
        ("[site]\nmax_itmes = 5", "site.max_itmes: unknown key (did you mean max_items?)"),
        ("[sitee]\nx = 1", "sitee: unknown key (did you mean site?)"),
        (
            "[aggregator]\nconcurency = 4",
            "aggregator.concurency: unknown key (did you mean concurrency?)",
        ),
        (
            "[[sources]]\nurl = 'https://a.example/feed'\nintervl = 5",
            "sources[0].intervl: unknown key (did you mean min_interval?)",
        ),
        ("[database]\nurll = 'x'", "database.urll: unknown key (did you mean url?)"),
        # types and ranges
        ("site = 5", "site: must be a table"),
        ("[site]\nmax_items = 0", "site.max_items: must be a whole number of at least 1, got 0"),
        ("[site]\nmax_items = 'ten'", "site.max_items: must be a number, got a string"),
        (
            "[site]\ncache_max_age = -1",
            "site.cache_max_age: must be a whole number of at least 0, got -1",
        ),
        ("[demo]\nfeeds_dir = 5", "demo.feeds_dir: must be a string, got a whole number"),
        (
            "[aggregator]\nconnect_timeout = 0",
            "aggregator.connect_timeout: must be greater than zero",
        ),
        (
            "[aggregator]\nconcurrency = 2.5",
            "aggregator.concurrency: must be a whole number of at least 1, got 2.5",
        ),
        (
            "[aggregator]\nenabled = 'yes'",
            "aggregator.enabled: must be true or false, got a string",
        ),
        ("[aggregator]\nuser_agent = ' '", "aggregator.user_agent: must not be empty"),
        (
            "[aggregator]\nmax_entries = 0",
            "aggregator.max_entries: must be a whole number of at least 1, got 0",
        ),
        (
            "[aggregator]\nmin_interval = 900\nmax_interval = 60",
            "aggregator.min_interval: must not exceed max_interval",
        ),
        (
            "[[sources]]\nurl = 'https://a.example/'\nmin_interval = 900\nmax_interval = 60",
            "sources[0].min_interval: must not exceed max_interval",
        ),
        # languages, URLs, links
        (
            "[site]\nlanguages = ['en', 'armenian']",
            "site.languages: 'armenian' is not a BCP 47 language tag such as 'en', 'hy' or 'ru'",
        ),
        ("[site]\nlanguages = ['en', 'en']", "site.languages: lists a language twice"),
        (
            "[site]\nbase_url = 'news.example'",
            "site.base_url: 'news.example' is not an absolute http(s) URL",
        ),
        (
            "[site]\nicon = 'icon.png'",
            "site.icon: 'icon.png' is neither a path starting with '/' nor an http(s) URL",
        ),
        (
            "[[sources]]\nurl = 'ftp://x'",
            "sources[0].url: 'ftp://x' is neither a path starting with '/' nor an http(s) URL",
        ),
        ("[[sources]]\ntitle = 'x'", "sources[0].url: every source needs a url"),
        ("[websub]\nhubs = ['ftp://x']", "websub.hubs: 'ftp://x' is not an absolute http(s) URL"),
        (
            "[database]\nurl = 'not a url'",
            "database.url: 'not a url' is not a database URL such as 'sqlite:///var/feeds.db'",
        ),
        ("[ingest]\ntokens = ['']", "ingest.tokens: an empty token would let anyone in; remove it"),
        # allow_hosts: whatever the aggregator's policy accepts, nothing else
        (
            "[aggregator]\nallow_hosts = ['127.0.0.1', 'http://127.0.0.1']",
            "aggregator.allow_hosts[1]: 'http://127.0.0.1' is not a host name: write the host "
            f"alone, without scheme or path {ENTRY}",
        ),
        (
            "[aggregator]\nallow_hosts = ['127.0.0.1:8000']",
            f"aggregator.allow_hosts[0]: '127.0.0.1:8000' is not a host name: no port here {ENTRY}",
        ),
        (
            "[aggregator]\nallow_hosts = ['*.example.com']",
            "aggregator.allow_hosts[0]: '*.example.com' is not a host name: wildcards are not "
            f"supported, list each host {ENTRY}",
        ),
        (
            "[aggregator]\nallow_hosts = ['10.0.0.0/33']",
            "aggregator.allow_hosts[0]: '10.0.0.0/33' is not an IP network such as '10.1.0.0/16'",
        ),
        (
            "[aggregator]\nallow_hosts = ['999.1.1.1']",
            "aggregator.allow_hosts[0]: '999.1.1.1' is neither an IP address nor a host name "
            + ENTRY,
        ),
        # partners: name, profile, token hashes, scope
        (
            "[[partners]]\nname = 'Bad Name'",
            "partners[0].name: 'Bad Name' is not a partner name: use 1-100 lowercase letters, "
            "digits and '-' (it appears in the partner's URLs)",
        ),
        (
            "[[partners]]\nname = 'a'\n[[partners]]\nname = 'a'",
            "partners[1].name: 'a' is already the name of partners[0]",
        ),
        (
            PARTNER + "profile = 'smartnws'",
            f"partners[0].profile: 'smartnws' is not a profile (one of: {PROFILES})",
        ),
        (
            PARTNER + f"token_hashes = ['{HASH}', 'abc']",
            "partners[0].token_hashes[1]: must be 64 hex characters (a SHA-256 hex digest; make "
            'one with feeds partners hash, or printf %s "$TOKEN" | sha256sum)',
        ),
        (
            PARTNER + "languages = ['fr']",
            "partners[0].languages: 'fr' is not a site language (en, ru)",
        ),
        (
            PARTNER + "sections = ['Foreign Affairs']",
            "partners[0].sections: 'Foreign Affairs' is not a slug such as 'foreign-affairs'",
        ),
        # partners: profile options, from the profile definitions
        (
            PARTNER + "rate_limit = 'abc'",
            "partners[0].rate_limit: must be a whole number of at least 1, got 'abc'",
        ),
        (
            PARTNER + "max_items = 0",
            "partners[0].max_items: must be a whole number of at least 1, got 0",
        ),
        (PARTNER + "full_text = 'no'", "partners[0].full_text: must be true or false, got 'no'"),
        (
            PARTNER + "max_itmes = 3",
            "partners[0].max_itmes: unknown option (did you mean max_items?)",
        ),
        (PARTNER + "nonsense = 1", f"partners[0].nonsense: unknown option (one of: {COMMON})"),
        (
            PARTNER + "genre = 'article'",
            f"partners[0].genre: not an option of profile 'generic' (its options: {COMMON}; add "
            "an extension with extensions = [...] for more)",
        ),
        (
            PARTNER + "profile = 'yandex'\ngenre = 'poem'",
            "partners[0].genre: must be one of message, article, interview, got 'poem'",
        ),
        (
            PARTNER + "profile = 'msn'\nformats = ['json']",
            "partners[0].formats: must be a list of rss, atom, got ['json']",
        ),
        (
            PARTNER + "extensions = ['webfeed']",
            "partners[0].extensions: must be a list of dcterms, webfeeds, yandex, smartnews, "
            "got ['webfeed']",
        ),
        (
            PARTNER + "extensions = ['webfeeds']\naccent_color = 'red'",
            "partners[0].accent_color: must be a hex colour such as '1a1a1a' or '#c0392b', "
            "got 'red'",
        ),
        (
            PARTNER + "profile = 'smartnews'\nlogo = '/static/wide.png'",
            "partners[0].logo: must be an absolute http(s) URL, got '/static/wide.png'",
        ),
        # the file itself
        ("site = [", "not valid TOML: Invalid value (at end of document)"),
    ],
)
def test_bad_config_is_one_line_naming_the_file_the_key_and_what_is_allowed(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value) == f"{path}: {message}"
    assert "\n" not in str(caught.value)


def test_partner_options_of_its_profile_and_added_extensions_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        PARTNER
        + f"profile = 'yandex'\ntoken_hashes = ['{HASH.upper()}']\ngenre = 'article'\n"
        + "rate_limit = 120\nextensions = ['webfeeds']\naccent_color = '#c0392b'\n",
    )
    (partner,) = load_settings(path, env={}).partners
    assert partner.profile == "yandex"
    assert partner.token_hashes == (HASH,)  # as sha256sum prints it, so it matches
    assert partner.options == {
        "genre": "article",
        "rate_limit": 120,
        "extensions": ["webfeeds"],
        "accent_color": "#c0392b",
    }


def test_a_key_read_with_a_table_helper_is_known_without_a_list_to_update() -> None:
    table = _Table({"site": {"embed_hosts": ["a.example"], "other": 1}}, "f.toml", "")
    site = table.table("site")
    assert site.strings("embed_hosts") == ("a.example",)
    with pytest.raises(ConfigError) as caught:
        table.refuse_unknown_keys()
    assert str(caught.value) == "f.toml: site.other: unknown key (known keys here: embed_hosts)"
    assert site.data.get("other") == 1  # looked up directly: asked as well
    table.refuse_unknown_keys()


@pytest.mark.parametrize(
    "entry", ["127.0.0.1", "[::1]", "10.1.2.3/16", "Intranet.Example.", "a_b.local", "ёлка.рф"]
)
def test_config_and_address_policy_read_an_allow_hosts_entry_alike(
    tmp_path: Path, entry: str
) -> None:
    path = write(tmp_path, f"[aggregator]\nallow_hosts = ['{entry}']\n")
    allowed = load_settings(path, env={}).aggregator.allow_hosts
    policy = AddressPolicy(allowed)
    name = entry.lower().strip("[]").rstrip(".")
    try:
        network = ipaddress.ip_network(name, strict=False)
    except ValueError:
        assert policy.host_allowed(name)
    else:
        assert policy.address_allowed(network[0])


@pytest.mark.parametrize("entry", ["http://127.0.0.1", "127.0.0.1:8000", "*.example.com"])
def test_an_entry_the_config_refuses_the_policy_refuses_too(tmp_path: Path, entry: str) -> None:
    path = write(tmp_path, f"[aggregator]\nallow_hosts = ['{entry}']\n")
    with pytest.raises(ConfigError) as from_config:
        load_settings(path, env={})
    with pytest.raises(ValueError) as from_policy:
        AddressPolicy([entry])
    assert str(from_policy.value) in str(from_config.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, env={})
    assert str(caught.value) == f"{missing}: no such config file"
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={"FEEDS_CONFIG": str(missing)})
    assert str(caught.value) == f"{missing}: no such config file (from FEEDS_CONFIG)"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FEEDS_BASE_URL": "localhost:8000"},
            "FEEDS_BASE_URL: 'localhost:8000' is not an absolute http(s) URL",
        ),
        (
            {"FEEDS_ALLOW_HOSTS": "127.0.0.1, http://10.0.0.1/"},
            "FEEDS_ALLOW_HOSTS: 'http://10.0.0.1/' is not a host name: write the host alone, "
            f"without scheme or path {ENTRY}",
        ),
        (
            {"FEEDS_DATABASE_URL": "feeds.db"},
            "FEEDS_DATABASE_URL: 'feeds.db' is not a database URL such as 'sqlite:///var/feeds.db'",
        ),
    ],
)
def test_a_bad_environment_variable_is_one_line_naming_it(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(EXAMPLE, env=env)
    assert str(caught.value) == message
