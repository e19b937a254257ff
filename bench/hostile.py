"""Hostile documents: the peak memory of one ``feeds poll`` over ~40 of them.

    .venv/bin/python bench/hostile.py            # every document, 1.5 to 6 minutes
    .venv/bin/python bench/hostile.py --list     # what is served, with sizes

A loopback HTTP server (a thread of this process, 127.0.0.1 only) serves documents made
here: huge titles, deep nesting (XHTML, escaped HTML, plain XML, JSON), 10,000-entry feeds,
bad and lying encodings, entity tricks, truncated XML, HTML pages, a gzip bomb, and more.
Each becomes a source of a fresh SQLite database, and the real command polls them all,
with the default settings (``parse_timeout`` 10 s of processor time, ``parse_memory_mb``
256, ``max_entries`` 500, ``fetched_bodies_mb`` 32, ``max_body_bytes`` 15 MiB) but for
``allow_hosts``. The wall time grows with the machine's load: the hostile documents each
use up to 10 s of processor time, however long a busy machine takes to give it.

While it runs, the memory of every process of the command (the parent, the fork server
and the parse workers, killed ones included) is read from /proc every 20 ms, twice: as
PSS (each page shared between processes, such as the fork server's imports in every
worker, counted once in all: what the command costs the machine) and as RSS (shared
pages counted in every process that maps them, so the fork server's ~150 MB of imports
and language model count three times). Printed: the peak of each sum (issue target:
300 MB), the sum of each process's own RSS peak (an upper bound), the peak of each role,
the wall time, and each source's outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parents[1]
FEEDS = REPO / ".venv" / "bin" / "feeds"
TARGET_MB = 300

RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
ATOM_NS = "http://www.w3.org/2005/Atom"
DATE = "Sat, 14 Nov 2026 08:00:00 GMT"
ISO = "2026-11-14T08:00:00Z"


def rss(items: str, title: str = "Hostile", extra: str = "") -> bytes:
    return (
        f"{RSS_HEAD}<title>{title}</title><link>https://hostile.example/</link>{extra}"
        f"{items}</channel></rss>"
    ).encode()


def item(n: int, description: str = "Text.", title: str | None = None) -> str:
    return (
        f"<item><guid>h-{n}</guid><title>{title or f'Story {n}'}</title>"
        f"<link>https://hostile.example/{n}</link><description>{description}</description>"
        f"<pubDate>{DATE}</pubDate></item>"
    )


def atom(entries: str, title: str = "Hostile") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="{ATOM_NS}"><title>{title}</title>'
        f"<id>urn:hostile</id><updated>{ISO}</updated>{entries}</feed>"
    ).encode()


def entry(n: int, content: str, kind: str = "html") -> str:
    return (
        f"<entry><id>urn:h:{n}</id><title>Story {n}</title><updated>{ISO}</updated>"
        f'<link href="https://hostile.example/{n}"/><content type="{kind}">{content}</content>'
        "</entry>"
    )


def xhtml(inner: str) -> str:
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{inner}</div>'


def many_items(count: int, words: int = 40) -> str:
    rng = random.Random(count)
    vocabulary = "news report minister yerevan tbilisi harvest rail energy trade".split()
    return "".join(
        item(n, "&lt;p&gt;" + " ".join(rng.choice(vocabulary) for _ in range(words)) + "&lt;/p&gt;")
        for n in range(count)
    )


def json_feed(items: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": items}
    ).encode()


def gzip_bomb(megabytes: int) -> bytes:
    """A feed whose one description is ``megabytes`` MB of spaces, gzipped (~1000:1)."""
    head, tail = rss(item(1)).split(b"Text.")
    packer = zlib.compressobj(9, wbits=31)  # 31: the gzip container
    chunks = [packer.compress(head)]
    spaces = b" " * 2**20
    chunks += [packer.compress(spaces) for _ in range(megabytes)]
    chunks += [packer.compress(tail), packer.flush()]
    return b"".join(chunks)


# Each: name -> (body, content type, extra headers).
Doc = tuple[bytes, str, dict[str, str]]
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml"


def documents() -> dict[str, Doc]:
    d: dict[str, Callable[[], bytes | Doc]] = {
        # Sizes and counts.
        "huge-title-rss": lambda: rss(item(1, title="T" * 5_000_000)),
        "huge-title-atom": lambda: atom(entry(1, "x").replace("Story 1", "T" * 5_000_000)),
        "huge-feed-title": lambda: rss(item(1), title="F " * 2_000_000),
        "10k-entries-rss": lambda: rss(many_items(10_000)),
        "10k-entries-atom": lambda: atom(
            "".join(entry(n, "&lt;p&gt;text&lt;/p&gt;") for n in range(10_000))
        ),
        "10k-entries-json": lambda: (
            json_feed(
                [
                    {
                        "id": f"j{n}",
                        "url": f"https://hostile.example/{n}",
                        "title": f"S {n}",
                        "content_html": "<p>" + "word " * 60 + "</p>",
                        "date_published": ISO,
                    }
                    for n in range(10_000)
                ]
            ),
            "application/feed+json",
            {},
        ),
        "60k-tiny-entries-rss": lambda: rss("".join(item(n) for n in range(60_000))),
        "one-10MB-entry": lambda: rss(
            item(1, "&lt;p&gt;" + "long text " * 1_000_000 + "&lt;/p&gt;")
        ),
        "100k-categories": lambda: rss(
            item(1).replace("</item>", "<category>c</category>" * 100_000 + "</item>")
        ),
        "1MB-link": lambda: rss(
            item(1).replace("https://hostile.example/1", "https://x.example/" + "a" * 1_000_000)
        ),
        "duplicate-guids": lambda: rss("".join(item(1, f"Copy {n}") for n in range(10_000))),
        # Nesting.
        "deep-xhtml-atom": lambda: (
            atom(entry(1, xhtml("<div>" * 60_000 + "deep" + "</div>" * 60_000), "xhtml")),
            ATOM_TYPE,
            {},
        ),
        "deep-escaped-html": lambda: rss(
            item(1, "&lt;div&gt;" * 60_000 + "deep" + "&lt;/div&gt;" * 60_000)
        ),
        "deep-plain-xml": lambda: rss(
            item(1).replace("</item>", "<x>" * 100_000 + "</x>" * 100_000 + "</item>")
        ),
        "deep-json": lambda: (
            b'{"version":"https://jsonfeed.org/version/1.1","items":'
            + b"[" * 200_000
            + b"]" * 200_000
            + b"}",
            "application/feed+json",
            {},
        ),
        "misnested-formatting": lambda: rss(item(1, "&lt;b&gt;&lt;p&gt;" * 30_000)),
        "unclosed-tags": lambda: rss(item(1, "&lt;span&gt;" * 100_000)),
        "many-attributes": lambda: rss(
            item(1, "&lt;p " + " ".join(f'a{n}="v"' for n in range(100_000)) + "&gt;x&lt;/p&gt;")
        ),
        "many-images": lambda: rss(item(1, '&lt;img src="https://x.example/i.png"&gt;' * 100_000)),
        "script-flood": lambda: rss(item(1, "&lt;script&gt;alert(1)&lt;/script&gt;" * 100_000)),
        "char-references": lambda: rss(item(1, "&#x41;" * 2_000_000)),
        "huge-comment": lambda: rss(
            item(1).replace("<item>", "<item><!--" + "c" * 5_000_000 + "-->")
        ),
        "huge-cdata": lambda: rss(item(1, "<![CDATA[" + "<p>cdata</p>" * 500_000 + "]]>")),
        "namespaces": lambda: rss(
            item(1).replace(
                "<item>", "<item " + " ".join(f'xmlns:n{n}="urn:{n}"' for n in range(20_000)) + ">"
            )
        ),
        # Encodings.
        "lying-utf8-is-cp1251": lambda: rss(many_items(50)).replace(
            b"Story", "Новость".encode("cp1251")
        ),
        "xml-says-1251-header-utf8": lambda: rss(item(1, "Текст")).replace(
            b"utf-8", b"windows-1251"
        ),
        "utf16-no-bom": lambda: (
            rss(item(1)).decode().replace("utf-8", "utf-16").encode("utf-16-le")
        ),
        "nul-bytes": lambda: rss(item(1, "a\x00b" * 100_000)),
        "invalid-utf8": lambda: rss(item(1)).replace(b"Text.", b"\xff\xfe\xc0\xaf" * 100_000),
        # Entity tricks.
        "billion-laughs": lambda: (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(
                f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">'.encode()
                for k in range(9)
            )
            + b']><rss version="2.0"><channel><title>&j;</title></channel></rss>'
        ),
        "external-entity": lambda: (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>&x;</title></channel></rss>'
        ),
        "external-dtd": lambda: (
            b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.2/evil.dtd">'
            + rss(item(1))[len(b'<?xml version="1.0" encoding="utf-8"?>') :]
        ),
        "undefined-entities": lambda: rss(item(1, "&nbsp;&copy;&bogus;" * 100_000)),
        # Broken or not feeds.
        "truncated-xml": lambda: rss(many_items(2_000))[:-150_000],
        "html-page": lambda: (
            b"<!doctype html><html><head><title>News</title>"
            b'<link rel="alternate" type="application/rss+xml" href="/rss"></head><body>'
            + b"<div><p>Story</p></div>" * 100_000
            + b"</body></html>",
            "text/html; charset=utf-8",
            {},
        ),
        "empty-body": lambda: b"",
        "random-bytes": lambda: random.Random(7).randbytes(5_000_000),
        "json-not-a-feed": lambda: (
            json.dumps({"a": list(range(500_000))}).encode(),
            "application/json",
            {},
        ),
        "rss10-10k-items": lambda: (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://h.example/"><title>R</title>'
            "<link>https://h.example/</link></channel>"
            + "".join(
                f'<item rdf:about="https://h.example/{n}"><title>S {n}</title>'
                f"<link>https://h.example/{n}</link><description>Text {n}</description></item>"
                for n in range(10_000)
            )
            + "</rdf:RDF>"
        ).encode(),
        "gzip-bomb": lambda: (gzip_bomb(200), RSS_TYPE, {"Content-Encoding": "gzip"}),
    }
    out: dict[str, Doc] = {}
    for name, make in d.items():
        made = make()
        if isinstance(made, bytes):
            kind = ATOM_TYPE if b"<feed" in made[:300] else RSS_TYPE
            made = (made, kind, {})
        out[name] = made
    return out


class _Handler(BaseHTTPRequestHandler):
    docs: ClassVar[dict[str, Doc]] = {}

    def do_GET(self) -> None:
        doc = self.docs.get(self.path.lstrip("/"))
        if doc is None:
            self.send_error(404)
            return
        body, kind, headers = doc
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {root}, {root}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB; zeros once it is gone."""
    now = peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except OSError:
        pass
    return now, peak


def pss_kb(pid: int) -> int:
    """Proportional set size of ``pid`` in KiB: its private pages plus its share of the
    pages it shares (the fork server's imports, copy-on-write in every worker); 0 once gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_poll(config: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(FEEDS), "poll", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_total, peak_pss_total = 0, 0
    peaks: dict[int, int] = {}
    pss_peaks: dict[int, int] = {}
    roles: dict[int, str] = {}
    while process.poll() is None:
        total = pss_total = 0
        for pid in tree(process.pid):
            now, peak = rss_kb(pid)
            pss = pss_kb(pid)
            total += now
            pss_total += pss
            peaks[pid] = max(peaks.get(pid, 0), peak)
            pss_peaks[pid] = max(pss_peaks.get(pid, 0), pss)
            if pid not in roles:
                roles[pid] = role(pid, process.pid)
        peak_total = max(peak_total, total)
        peak_pss_total = max(peak_pss_total, pss_total)
        time.sleep(0.02)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    print(out.strip().splitlines()[-1] if out.strip() else "(no output)")
    print(f"exit code {process.returncode}; {len(err.splitlines())} line(s) on stderr")
    names = ("parent", "fork server", "resource tracker", "worker")
    return {
        "wall_s": round(wall, 1),
        "peak_pss_mb_sum_sampled": round(peak_pss_total / 1024, 1),
        "peak_rss_mb_sum_sampled": round(peak_total / 1024, 1),
        "sum_of_process_peaks_mb": round(sum(peaks.values()) / 1024, 1),
        "processes_seen": len(peaks),
        "peak_rss_mb_by_role": by_role(peaks, roles, names),
        "peak_pss_mb_by_role": by_role(pss_peaks, roles, names),
    }


def by_role(peaks: dict[int, int], roles: dict[int, str], names: tuple[str, ...]) -> dict[str, int]:
    """The largest peak of each role, in MB."""
    return {
        name: round(max((kb for p, kb in peaks.items() if roles[p] == name), default=0) / 1024)
        for name in names
    }


def role(pid: int, parent: int) -> str:
    if pid == parent:
        return "parent"
    try:
        line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "worker"
    if b"resource_tracker" in line:
        return "resource tracker"
    if b"forkserver" in line and _parent_of(pid) == parent:
        return "fork server"
    return "worker"


def _parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", action="store_true", help="list the documents and exit")
    args = parser.parse_args()
    docs = documents()
    if args.list:
        for name, (body, kind, headers) in docs.items():
            print(f"{name:28} {len(body):>11,} bytes  {kind} {headers or ''}")
        return
    _Handler.docs = docs
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    tmp = Path(tempfile.mkdtemp(prefix="feeds-hostile-"))
    config = tmp / "feeds.toml"
    config.write_text(
        f'[aggregator]\nallow_hosts = ["127.0.0.1"]\n[database]\nurl = "sqlite:///{tmp}/h.db"\n',
        encoding="utf-8",
    )
    sys.path.insert(0, str(REPO / "src"))
    from feeds.store import open_store
    from feeds.store.sources import SourceSpec, add_source, list_sources

    store = open_store(f"sqlite:///{tmp}/h.db")
    with store._db.transaction() as conn:
        for name in docs:
            add_source(conn, SourceSpec(url=f"http://127.0.0.1:{port}/{name}"))
    print(f"{len(docs)} documents, {sum(len(b) for b, _, _ in docs.values()) / 2**20:.0f} MiB")
    print(f"load average before: {os.getloadavg()[0]:.2f} (cpus: {os.cpu_count()})")
    result = run_poll(config)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    with store._db.reading() as conn:
        for record in list_sources(conn):
            name = record.url.rsplit("/", 1)[1]
            error = (record.last_error or "")[:90]
            print(f"  {name:28} {record.health:10} {record.entries:>6} entries  {error}")
    store.close()
    server.shutdown()
    print(json.dumps(result))
    for measure, key in (("PSS", "peak_pss_mb_sum_sampled"), ("RSS", "peak_rss_mb_sum_sampled")):
        peak = result[key]
        assert isinstance(peak, float)
        verdict = "met" if peak <= TARGET_MB else "NOT met"
        print(
            f"peak {measure}, parent + fork server + workers: {peak} MB "
            f"(target {TARGET_MB} MB: {verdict})"
        )


if __name__ == "__main__":
    main()
