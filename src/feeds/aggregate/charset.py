"""Decide a fetched document's character encoding once, and hand the parsers UTF-8.

Feeds arrive mislabelled all the time: windows-1251 bytes declared UTF-8 or not declared
at all, UTF-8 bytes declared windows-1251, windows-1252 quotes in a "Latin-1" feed, UTF-8
encoded twice. Left to guess on their own, the two XML readers (lxml and feedparser) each
guess differently, and both store mojibake such as ``Íîâîñòè`` (issue 8). So the encoding
is decided here, once per document, before either parser sees the bytes:

1. The declared reading, in the order of RFC 7303 §3 for XML: a byte order mark, then the
   HTTP ``charset`` parameter, then the XML declaration, else UTF-8. For JSON, RFC 8259
   §8.1: UTF-8 (a BOM is honoured, the HTTP charset tried only if UTF-8 fails). A UTF-16/32
   document without a BOM is recognised by the NUL bytes around its first ``<`` or ``{``
   (XML 1.0 Appendix F, RFC 4627 §3): no ASCII-compatible charset can produce them, so
   that signature overrides an 8-bit label.
2. Labels are read as the WHATWG Encoding Standard reads them: ISO-8859-1 and US-ASCII
   mean windows-1252 (what every such "Latin-1" server really sends); unknown labels and
   non-text codecs are ignored.
3. The reading is checked. It must decode. A single-byte reading of bytes that are valid
   UTF-8 is the UTF-8 document it looks like (legacy text is practically never valid
   UTF-8). Single-byte text must look like text: no C1 controls, no words made only of
   Latin-1 letters (``Íîâîñòè``: Cyrillic read as Latin), no lowercase-uppercase swaps
   inside words (``нОВОСТИ``: KOI8-R read as windows-1251), no words mixing scripts
   (``Cafй``). UTF-8 text must not be UTF-8 encoded twice (``РќРѕРІ…``, ``Ð\\x9d…``);
   UTF-8 with a few stray bytes (a pasted windows-1252 quote) is UTF-8.
4. Only when the check fails does a detector (charset-normalizer) choose among the other
   readings, the likeliest code pages first; its choice is kept when it reads clean.

The common case, UTF-8 declared (or defaulting to) UTF-8, costs the re-encoding probe on
its first 2,000 non-ASCII characters; the body is handed on unchanged, and lxml checks
that it is valid UTF-8 while it parses (the full check runs before feedparser sees it).
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import re
from dataclasses import dataclass, replace

__all__ = [
    "Decoded",
    "byte_order",
    "codec_for",
    "decode_json",
    "decode_xml",
    "implausible",
    "verify_xml",
]

_UTF8 = "utf-8"

# (signature, codec, bytes to skip); UTF-32 LE before UTF-16 LE (same first two bytes).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8", 3),
    (codecs.BOM_UTF32_LE, "utf-32-le", 4),
    (codecs.BOM_UTF32_BE, "utf-32-be", 4),
    (codecs.BOM_UTF16_LE, "utf-16-le", 2),
    (codecs.BOM_UTF16_BE, "utf-16-be", 2),
)

# WHATWG Encoding Standard §4.2 labels Python reads differently or does not know.
_WHATWG = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-cp1251": "cp1251",
    "x-cp1252": "cp1252",
    "unicode-1-1-utf-8": "utf-8",
    "unicode11utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "iso-8859-8-i": "iso8859-8",
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
}
# Never honoured: UTF-7 hides markup from filters (WHATWG drops it), and a "UTF-16" label
# on a document without a BOM or NUL signature is wrong by definition (XML 1.0 §4.3.3).
_REFUSED = frozenset({"utf-7"})
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


@dataclass(frozen=True)
class Decoded:
    """A document read in the encoding decided for it."""

    text: str | None  # the decoded text (for JSON; None for XML, which parsers read as bytes)
    body: bytes  # UTF-8; an XML declaration in it, if any, says utf-8
    encoding: str  # the codec that read the bytes, e.g. "utf-8", "cp1251"
    note: str | None = None  # why a declared charset was overridden, for the poll's log
    # False only for a body declared UTF-8 whose start reads clean, handed on without a full
    # decode: lxml refuses invalid UTF-8 as it parses, and ``verify_xml`` checks the rest
    # before any other reader sees it.
    verified: bool = True


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label as a browser reads it; None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if not name:
        return None
    name = _WHATWG.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not info._is_text_encoding:  # base64, rot13, zlib ...: not a charset
        return None
    canonical = _WHATWG.get(info.name, info.name)
    return None if canonical in _REFUSED else canonical


def byte_order(body: bytes) -> tuple[str, int] | None:
    """(codec, bytes to skip) from a byte order mark or a UTF-16/32 NUL signature."""
    for bom, codec, skip in _BOMS:
        if body.startswith(bom):
            return codec, skip
    head = body[:4]
    if len(head) < 4 or 0 not in head:
        return None
    # The first character is ASCII ('<', '{', whitespace); NULs around it give the width.
    if head[:3] == b"\0\0\0" and head[3]:
        return "utf-32-be", 0
    if head[0] and head[1:] == b"\0\0\0":
        return "utf-32-le", 0
    if not head[0] and head[1] and not head[2] and head[3]:
        return "utf-16-be", 0
    if head[0] and not head[1] and head[2] and not head[3]:
        return "utf-16-le", 0
    return None


_XML_DECLARATION = re.compile(
    rb"""^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""", re.IGNORECASE
)


def _declared_in_xml(body: bytes) -> str | None:
    found = _XML_DECLARATION.match(body[:512])
    return found.group(1).decode("ascii") if found else None


def _decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


# --- plausibility ---------------------------------------------------------------------------

_C1 = re.compile("[\x80-\x9f]")
# Three or more Latin-1 letters in a row, and nothing else in the word: Cyrillic or Armenian
# bytes read as Latin-1/windows-1252 ("Íîâîñòè"). No Western language spells words so.
_LATIN1_WORD = re.compile("[À-ÖØ-öø-ÿ]{3,}")
_WORD = re.compile(r"[^\W\d_]{3,}")  # linear: no backtracking over long runs


def _case_swapped(word: str) -> bool:
    """A lowercase letter directly followed by an uppercase one, both outside ASCII
    ("оПЧПУФЙ": KOI8-R read as windows-1251 and the other way round). ASCII is left out:
    "iPhone" and "YouTube" are spelled so on purpose."""
    return any(
        a.islower() and b.isupper() and not a.isascii() and not b.isascii()
        for a, b in itertools.pairwise(word)
    )


# Scripts by code point, for words that mix two ("Cafй": windows-1252 read as 1251).
_SCRIPT_STARTS = (0x41, 0x250, 0x370, 0x400, 0x530, 0x590, 0x600, 0x700, 0xE00, 0xE80)
_SCRIPT_NAMES: tuple[str | None, ...] = ("Latin", None, "Greek", "Cyrillic", "Armenian")
_SCRIPT_NAMES += ("Hebrew", "Arabic", None, "Thai", None)


def _mixes_scripts(word: str) -> bool:
    seen: set[str] = set()
    for ch in word:
        at = bisect.bisect_right(_SCRIPT_STARTS, ord(ch)) - 1
        name = _SCRIPT_NAMES[at] if at >= 0 else None
        if name is not None:
            seen.add(name)
    return len(seen) > 1


_WORDS_CHECKED = 2000


def implausible(text: str) -> str | None:
    """Why ``text`` cannot be what its single-byte reading claims; None if it may be."""
    if _C1.search(text):
        return "has C1 control characters"
    words: list[str] = []
    for found in _WORD.finditer(text):
        word = found.group()
        if not word.isascii():
            words.append(word)
            if len(words) >= _WORDS_CHECKED:
                break
    if not words:
        return None
    checks = (
        (_LATIN1_WORD.fullmatch, 5, "has words made of Latin-1 letters only"),
        (_case_swapped, 4, "swaps case inside words"),
        (_mixes_scripts, 4, "mixes scripts inside words"),
    )
    for check, share, why in checks:
        hits = sum(1 for w in words if check(w))
        if hits and hits * share >= len(words):
            return why
    return None


def _c1_as_bytes(error: UnicodeError) -> tuple[bytes, int]:
    """Encode-error handler: a C1 control stands for the byte of the same value (what
    Windows and browsers produce for bytes a code page leaves undefined)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if all("\x80" <= ch <= "\x9f" for ch in chunk):
        return chunk.encode("latin-1"), error.end
    raise error


codecs.register_error("feeds-c1-as-bytes", _c1_as_bytes)


def _stray_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Decode-error handler: a byte that is not UTF-8 is read as windows-1252 (a curly
    quote pasted into a UTF-8 page), or U+FFFD where windows-1252 has nothing."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    byte = error.object[error.start : error.start + 1]
    return byte.decode("cp1252", errors="replace"), error.start + 1


codecs.register_error("feeds-stray-as-cp1252", _stray_as_cp1252)

# A body with at least this many valid multi-byte characters per stray byte is UTF-8 with a
# few pasted legacy bytes; fewer, and it is legacy text in which some bytes happen to pair.
_VALID_PER_STRAY = 8


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """(text, stray bytes) when ``data`` is UTF-8 but for a few stray bytes."""
    strict = data.decode(_UTF8, errors="replace")
    stray = strict.count("\ufffd")
    valid = len(strict) - len(strict.encode("ascii", errors="ignore")) - stray
    if stray and valid >= _VALID_PER_STRAY * stray:
        return data.decode(_UTF8, errors="feeds-stray-as-cp1252"), stray
    return None


def _undo_double_utf8(text: str) -> tuple[str, str] | None:
    """(repaired text, the codec it went through) when ``text`` is UTF-8 that was decoded
    as windows-1252/1251 and encoded as UTF-8 again ("РќРѕРІ…" for "Нов…").

    The probe is cheap: re-encoding real Russian or Armenian text fails at its first letter
    (or yields bytes that fail UTF-8 at the first one); only twice-encoded text survives.
    """
    for codec in ("cp1252", "cp1251"):
        try:
            raw = text.encode(codec, errors="feeds-c1-as-bytes")
            repaired = raw.decode(_UTF8)
        except UnicodeError:
            continue
        if repaired != text:
            return repaired, codec
    return None


# --- the detector -----------------------------------------------------------------------------

_SAMPLE_BYTES = 65_536


def _sample(body: bytes) -> bytes:
    """The non-ASCII text between tags: what the detector should judge, not the markup."""
    runs: list[bytes] = []
    size = 0
    for part in body[: _SAMPLE_BYTES * 4].split(b"<"):
        text = part[part.find(b">") + 1 :]
        if not text.isascii():
            runs.append(text)
            size += len(text)
            if size >= _SAMPLE_BYTES:
                break
    return b"\n".join(runs)[:_SAMPLE_BYTES] or body[:_SAMPLE_BYTES]


# What mislabelled feeds turn out to be, most likely first: the Cyrillic code pages, then
# windows-1252 and the other common single-byte ones. charset-normalizer scores these first
# (a short feed gives it too little text to choose among all it knows: it would pick
# Shift_JIS for a KOI8-R headline); only if none reads clean does it choose freely.
_LIKELY = (
    "cp1251",
    "koi8_r",
    "cp1252",
    "iso8859_5",
    "koi8_u",
    "cp866",
    "mac_cyrillic",
    "cp1250",
    "iso8859_2",
    "iso8859_15",
    "cp1253",
    "cp1254",
    "cp1257",
)
_RANK = {name: rank for rank, name in enumerate(_LIKELY)}


def _detect(body: bytes, exclude: str | None) -> str | None:
    """The detector's best reading of ``body`` other than ``exclude`` that decodes the
    whole body and reads clean; None when there is none."""
    from charset_normalizer import from_bytes  # imported on first need: rarely needed

    sample = _sample(body)
    likely = [c for c in _LIKELY if codec_for(c) != exclude]
    for isolation in (likely, None):
        matches = from_bytes(sample, cp_isolation=isolation, preemptive_behaviour=False)
        # A match stands for every code page that reads the sample the same: take the
        # likeliest of them (windows-1252 rather than windows-1250 for the same letters).
        readings = [
            (round(m.chaos, 2), _RANK.get(name, len(_RANK)), name)
            for m in matches
            for name in (m.could_be_from_charset or [m.encoding])
        ]
        for _, _, name in sorted(readings):
            codec = codec_for(name)
            if codec is None or codec == exclude:
                continue
            text = _decode(body, codec)
            if text is not None and (codec == _UTF8 or implausible(text) is None):
                return codec
    return None


# --- the decisions ----------------------------------------------------------------------------

_XML_DECLARATION_LABEL = re.compile(
    rb"""^(\s*<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""", re.IGNORECASE
)


def _as_utf8_document(data: bytes) -> bytes:
    """UTF-8 bytes whose XML declaration, if it names another encoding, now says utf-8."""
    label = _declared_in_xml(data)
    if label is None or codec_for(label) == _UTF8:
        return data
    return _XML_DECLARATION_LABEL.sub(rb"\1\2utf-8\2", data[:512], count=1) + data[512:]


def _declared(
    body: bytes, http_charset: str | None, *, xml: bool
) -> tuple[str, str, int, list[str]]:
    """(codec, where it was declared, bytes to skip, notes about labels overridden)."""
    notes: list[str] = []
    order = byte_order(body)
    http_codec = codec_for(http_charset)
    if http_charset and http_codec is None:
        notes.append(f"unknown charset {http_charset!r} in Content-Type ignored")
    if order is not None:
        codec, skip = order
        where = "byte order mark" if skip else "UTF-16/32 signature"
        if http_codec and not codec.startswith(http_codec):
            notes.append(f"Content-Type said {http_charset}, the {where} {codec}")
        return codec, where, skip, notes
    if http_codec in _WIDE:
        notes.append(f"Content-Type said {http_charset}, but the body has no UTF-16/32 signature")
        http_codec = None
    if xml and http_codec:
        return http_codec, "Content-Type", 0, notes
    if xml:
        label = _declared_in_xml(body)
        xml_codec = codec_for(label)
        if label and (xml_codec is None or xml_codec in _WIDE):
            notes.append(f"encoding {label!r} in the XML declaration ignored")
        elif xml_codec:
            return xml_codec, "XML declaration", 0, notes
    return _UTF8, "default", 0, notes


_FIRST_NON_ASCII = re.compile(rb"[\x80-\xff]")
_PROBE_CHARS = 2048


def _starts_twice_encoded(data: bytes) -> bool:
    """The double-encoding probe on the first stretch of non-ASCII text only."""
    first = _FIRST_NON_ASCII.search(data)
    if first is None:
        return False
    start = first.start()
    sample = data[start : start + _PROBE_CHARS * 2].decode(_UTF8, errors="ignore")
    cut = max(sample.rfind(" "), sample.rfind("<"))  # never inside a twice-encoded letter
    return _undo_double_utf8(sample[:cut] if cut > 0 else sample) is not None


def decode_xml(body: bytes, http_charset: str | None, *, verify: bool = True) -> Decoded:
    """Read an XML document; the result's ``body`` is UTF-8 for lxml and feedparser alike.

    With ``verify=False`` a body declared UTF-8 whose start reads clean is handed on
    without decoding it all (``verified`` is then False: see ``verify_xml``).
    """
    codec, where, skip, notes = _declared(body, http_charset, xml=True)
    data = body[skip:]
    note = "; ".join(notes) or None
    if codec not in _WIDE and data.isascii():
        # The same in every ASCII-compatible charset: nothing to decide, nothing to copy.
        return Decoded(None, _as_utf8_document(data), codec, note)
    if codec == _UTF8 and not verify and not _starts_twice_encoded(data):
        return Decoded(None, _as_utf8_document(data), codec, note, verified=False)
    decoded = _read(data, codec, f"{codec} ({where})", notes)
    return Decoded(None, _as_utf8_document(decoded.body), decoded.encoding, decoded.note)


def verify_xml(decoded: Decoded, original: bytes, http_charset: str | None) -> Decoded:
    """``decoded`` itself once its whole body is known to be valid UTF-8; else the full
    decision over the ``original`` bytes."""
    if decoded.verified:
        return decoded
    if _decode(decoded.body, _UTF8) is not None:
        return replace(decoded, verified=True)
    return decode_xml(original, http_charset)


def decode_json(body: bytes, http_charset: str | None) -> Decoded:
    """Read a JSON document: UTF-8 (RFC 8259 §8.1) unless a BOM or NULs say otherwise; the
    HTTP charset only when the body is not UTF-8."""
    codec, where, skip, notes = _declared(body, None, xml=False)
    data = body[skip:]
    fallback = codec_for(http_charset)
    if codec == _UTF8 and fallback not in (None, _UTF8, *_WIDE) and _decode(data, _UTF8) is None:
        assert fallback is not None
        codec, where = fallback, "Content-Type"
    return _read(data, codec, f"{codec} ({where})", notes)


def _read(data: bytes, codec: str, declared: str, notes: list[str]) -> Decoded:
    """Decode ``data`` as declared, or as the bytes show they must be; say why if not."""

    def done(text: str, used: str, why: str | None = None) -> Decoded:
        note = "; ".join([*notes, why] if why else notes) or None
        body = data if used == _UTF8 and text_is_data else text.encode(_UTF8)
        return Decoded(text, body, used, note)

    text_is_data = False
    if codec != _UTF8 and codec not in _WIDE:
        as_utf8 = _decode(data, _UTF8)
        if as_utf8 is not None:  # legacy text is practically never valid UTF-8
            notes = [*notes, f"declared {declared} but the bytes are UTF-8"]
            declared, codec = f"{declared}, read as utf-8", _UTF8
    text = _decode(data, codec)
    if codec in _WIDE and text is not None:
        return done(text, codec)  # a BOM or NUL signature leaves no doubt
    if codec == _UTF8 and text is not None:
        twice = _undo_double_utf8(text)
        if twice is not None:
            repaired, through = twice
            return done(repaired, _UTF8, f"UTF-8 encoded twice (through {through}): repaired")
        text_is_data = True
        return done(text, _UTF8)
    if codec == _UTF8:
        mended = _mostly_utf8(data)
        if mended is not None:
            text, stray = mended
            return done(text, _UTF8, f"{stray} stray byte(s) in UTF-8 read as windows-1252")
    problem = "does not decode" if text is None else implausible(text)
    if text is not None and problem is None:
        return done(text, codec)
    found = _detect(data, exclude=codec)
    if found is not None:
        why = f"declared {declared}, but that reading {problem}: read as {found} (detected)"
        return done(data.decode(found), found, why)
    if text is None:
        why = f"declared {declared}, but that reading {problem}, and no other reading fits"
        return done(data.decode(codec, errors="replace"), codec, why)
    return done(text, codec)
