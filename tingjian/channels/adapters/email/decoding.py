"""Text from what real mail carries, whatever its labels say: charsets (declared, wrong or
missing, with a bias towards the Chinese encodings our customers write in) and headers
(RFC 2047 encoded words, raw 8-bit, Message-IDs, RFC 2231 filenames). Nothing here raises
on a malformed mail.
"""

from __future__ import annotations

import binascii
import codecs
import re
from email.policy import Compat32
from email.utils import collapse_rfc2231_value, decode_params, unquote
from typing import Any

import charset_normalizer
from django.conf import settings

# --- Charsets ----------------------------------------------------------------------------

# Labels seen in real mail, mapped to the codec that reads what such mailers really send:
# "gb2312" mail routinely carries GBK/GB18030 characters, "big5" carries HKSCS ones.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030", "chinese": "gb18030",
    "csgb2312": "gb18030", "gb2312_charset": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cn-big5": "big5hkscs", "csbig5": "big5hkscs",
    "big5-hkscs": "big5hkscs", "big5hkscs": "big5hkscs", "chinesebig5_charset": "big5hkscs",
    "ks_c_5601-1987": "cp949", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "ascii",
}
# Labels that say nothing about the bytes: Windows font charsets, placeholders.
_NO_CHARSET = {"", "default_charset", "default", "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "ansi_charset", "none", "charset"}
_MULTIBYTE = ("utf", "gb", "big5", "cp950", "cp949", "cp932", "euc", "shift_jis", "iso2022", "hz", "johab")
# Labels careless web forms put on anything: read as labelled unless the bytes are Chinese.
_LATIN = {"ascii", "cp1252", "iso8859-15"}
CHINESE_CODECS = ("gb18030", "big5hkscs")


def _codec(label: str | None) -> str:
    """The Python codec for a declared charset label, or "" when the label is no help."""
    name = (label or "").strip().strip("\"'").lower()
    if name in _NO_CHARSET:
        return ""
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return ""
    return {"big5": "big5hkscs", "gb2312": "gb18030", "gbk": "gb18030", "iso8859-1": "cp1252"}.get(codec, codec)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _common_share(text: str) -> float:
    """How much of the non-ASCII text is everyday Chinese: characters from the frequent tiers
    of GB2312 or Big5, and CJK punctuation. A wrong CJK guess lands in rare characters."""
    total = common = 0
    for char in text:
        if char.isascii():
            continue
        if total == 2000:  # a sample is enough, and a long mail must not cost seconds
            break
        total += 1
        if "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef":
            common += 1
            continue
        try:
            gb = char.encode("gb2312")
            if len(gb) == 2 and 0xB0 <= gb[0] <= 0xD7:
                common += 1
                continue
        except UnicodeEncodeError:
            pass
        try:
            b5 = char.encode("big5")
            if len(b5) == 2 and 0xA440 <= (b5[0] << 8 | b5[1]) <= 0xC67E:
                common += 1
        except UnicodeEncodeError:
            pass
    return common / total if total else 0.0


def _default_cjk() -> str:
    """Which Chinese encoding wins a tie: the one of the product's language."""
    language = str(getattr(settings, "LANGUAGE_CODE", "")).lower()
    return "gb18030" if language in ("zh-hans", "zh-cn", "zh-sg") else "big5hkscs"


def _guess_cjk(data: bytes, prefer: str = "") -> tuple[str, str, float] | None:
    """The likelier reading of GB18030 and Big5-HKSCS (those that decode): (text, codec, score).

    Two or three characters can be everyday Chinese in both (謝謝 in Big5 is 谅谅 in GBK):
    then the charset the rest of the mail is in decides, else the product's language.
    """
    order = [prefer] if prefer in CHINESE_CODECS else []
    order += [codec for codec in (_default_cjk(), *CHINESE_CODECS) if codec not in order]
    scored = [(text, codec, _common_share(text)) for codec in order if (text := _strict(data, codec)) is not None]
    return max(scored, key=lambda reading: reading[2]) if scored else None  # max keeps the first of equals


def decode_with_codec(data: bytes, declared: str | None, prefer: str = "") -> tuple[str, str]:
    """(text, the codec that read it) for bytes whatever their label says; never raises."""
    if not data:
        return "", ""
    if data.isascii():
        return data.decode("ascii"), ""
    codec = _codec(declared)
    multibyte = codec.startswith(_MULTIBYTE)
    if multibyte and (text := _strict(data, codec)) is not None:
        if codec in CHINESE_CODECS and _common_share(text) < 0.8:
            # Decodes, but largely as rare characters: GBK labelled Big5, or the reverse.
            other = CHINESE_CODECS[1 - CHINESE_CODECS.index(codec)]
            alternative = _strict(data, other)
            if alternative is not None and _common_share(alternative) >= 0.9:
                return alternative, other
        return text, codec
    if (text := _strict(data, "utf-8")) is not None:
        # Valid UTF-8 is rarely an accident: only two or three GBK characters can pass for
        # a word of Cyrillic or Greek (谢谢 is "лл"); Latin accents are believed.
        if not all(c.isascii() or "\u0370" <= c < "\u0800" for c in text):
            return text, "utf-8"
        guess = _guess_cjk(data, prefer)
        return (guess[0], guess[1]) if guess and guess[2] >= 0.9 else (text, "utf-8")
    if codec in _LATIN:
        # Chinese labelled latin-1 by a careless form: believe the label unless the bytes
        # read as everyday Chinese.
        guess = _guess_cjk(data, prefer)
        if guess and guess[2] >= 0.8 and sum(not c.isascii() for c in guess[0]) >= 4:
            return guess[0], guess[1]
        return (_strict(data, "cp1252") or data.decode("latin-1")), "cp1252"
    if codec and not multibyte and (text := _strict(data, codec)) is not None:
        return text, codec
    if codec:
        # Mostly right as labelled (a character cut at the end, a stray byte): keep it.
        text = data.decode(codec, "replace")
        errors = text.count("\ufffd")
        if errors <= len(text) // 200 or (errors == 1 and text.endswith("\ufffd")):
            return text, codec
    text = data.decode("utf-8", "replace")
    if text.count("\ufffd") <= len(text) // 200:
        return text, "utf-8"
    guess = _guess_cjk(data, prefer)
    if guess and guess[2] >= 0.5:
        return guess[0], guess[1]
    # charset-normalizer alone misreads short Chinese (a subject, a name) as cp949 or cp932,
    # hence the Chinese readings above; it judges what is neither.
    match = charset_normalizer.from_bytes(data).best()
    if match is not None:
        return str(match), match.encoding
    if guess:
        return guess[0], guess[1]
    return data.decode("latin-1"), "latin-1"


def decode_bytes(data: bytes, declared: str | None = None, prefer: str = "") -> str:
    """Text from bytes whatever their label says; never raises. ``prefer`` is the Chinese
    encoding the rest of the mail turned out to be in (it settles ambiguous short text)."""
    return decode_with_codec(data, declared, prefer)[0]


# --- Headers ------------------------------------------------------------------------------


class _RawHeaders(Compat32):
    """Compat32 that hands header values back raw (8-bit bytes as surrogates), so that we
    decode them ourselves instead of getting ``Header`` objects or "?" replacements."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return value


RAW = _RawHeaders()
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def clean_text(text: str) -> str:
    """Safe to store: no NUL or control characters, no lone surrogates."""
    return _CONTROL.sub("", text).encode("utf-8", "replace").decode("utf-8")


def header_bytes(value: Any) -> bytes:
    """A raw header value's bytes (the parser keeps 8-bit bytes as surrogates), unfolded."""
    text = re.sub(r"\r?\n(?=[ \t])", "", "" if value is None else str(value))
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _word_bytes(encoding: bytes, payload: bytes) -> bytes | None:
    if encoding.upper() == b"B":
        try:
            return binascii.a2b_base64(payload + b"=" * (-len(payload) % 4))
        except binascii.Error:
            return None
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), payload.replace(b"_", b" "))


def decode_header_text(value: Any, prefer: str = "") -> str:
    """A header value as text: RFC 2047 encoded words (consecutive ones in one charset joined
    before decoding, as mailers split multi-byte characters across them) and raw 8-bit."""
    data = header_bytes(value)
    pieces: list[tuple[bytes, str | None]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(data):
        decoded = _word_bytes(match.group(2), match.group(3))
        if decoded is None:
            continue
        between = data[position : match.start()]
        previous_encoded = bool(pieces) and pieces[-1][1] is not None
        if between and not (previous_encoded and not between.strip()):
            pieces.append((between, None))
        charset = match.group(1).split(b"*")[0].decode("ascii", "replace").lower()
        if pieces and pieces[-1][1] == charset:
            pieces[-1] = (pieces[-1][0] + decoded, charset)
        else:
            pieces.append((decoded, charset))
        position = match.end()
    pieces.append((data[position:], None))
    text = "".join(decode_bytes(chunk, charset, prefer) for chunk, charset in pieces)
    return clean_text(" ".join(text.split()))


def message_ids(value: Any) -> list[str]:
    """The Message-IDs in a header (``<id@host>`` each), in order; bare ids get brackets."""
    text = header_bytes(value).decode("ascii", "replace")
    found = re.findall(r"<[^<>\s]+>", text)
    if not found:
        found = [f"<{token.strip('<>')}>" for token in text.split() if "@" in token]
    return [clean_text(item) for item in found]


def filename_from_params(params: list[tuple[str, str]]) -> str:
    """A filename from MIME parameters: RFC 2231 (``filename*``, continuations) or RFC 2047."""
    try:
        decoded = decode_params([("", ""), *params])[1:]
    except (ValueError, IndexError, LookupError):
        decoded = list(params)
    values = {name.lower(): value for name, value in decoded}
    for key in ("filename", "name"):
        if key in values:
            value = values[key]
            if isinstance(value, tuple):
                return rfc2231_text(value)
            return decode_header_text(collapse_rfc2231_value(value))
    return ""


def rfc2231_text(value: tuple[str | None, str | None, str]) -> str:
    charset, _language, text = value
    try:
        raw = unquote(text).encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        raw = unquote(text).encode("utf-8", "surrogateescape")
    return clean_text(decode_bytes(raw, charset or "utf-8"))
