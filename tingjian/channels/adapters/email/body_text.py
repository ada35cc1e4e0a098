"""Readable text from a mail's body: HTML turned into lines, and what the customer wrote
kept apart from the quoted history below it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import ClassVar

from .decoding import clean_text


class _HTMLText(HTMLParser):
    """Readable text from HTML: blocks become lines, lists get dashes, blockquotes become
    "> " lines (so quoted history is recognised as in plain text), scripts and styles vanish."""

    BLOCKS: ClassVar[set[str]] = {
        "p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt", "address",
    }
    PARAGRAPHS: ClassVar[set[str]] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre"}
    HIDDEN: ClassVar[set[str]] = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.hidden = 0
        self.quote = 0
        self.pre = 0

    def _break(self, *, blank: bool = False) -> None:
        """End the current line; ``blank`` also leaves an empty line (a paragraph's end, <br>)."""
        text = self.line.rstrip() if self.pre else self.line.strip()
        if text:
            self.lines.append("> " * self.quote + text)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.line = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._break(blank=not self.line.strip())
        elif tag in self.BLOCKS:
            self._break()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.line = "- "
        elif tag == "td" and self.line.strip():
            self.line += " "

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS and tag != "br":
            self._break(blank=tag in self.PARAGRAPHS)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.line += first
            for part in rest:
                self._break()
                self.line = part
        else:
            self.line += re.sub(r"[ \t\r\n\f\xa0]+", " ", data)

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some garbage; keep what it read
        pass
    return tidy(parser.text())


def tidy(text: str) -> str:
    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ATTRIBUTION = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE)
_ATTRIBUTION_ZH = re.compile(r"(寫道|写道)\s*[:：]?\s*$")  # on a line that also has a year
_ORIGINAL = re.compile(r"^\s*-{3,}\s*(original message|原始邮件|原始郵件|原始訊息|原始信息)\s*-{3,}\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(from|寄件者|寄件人|發件人|发件人|發信人|发信人)\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|cc|subject|傳送時間|寄件日期|發送時間|发送时间|日期|時間|时间|收件者|收件人|副本|抄送|主旨|主題|主题)\*?\s*[:：]",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^[\s_\-=*]*$")


def strip_quoted(text: str) -> str:
    """What the customer wrote above the quoted history; all of it if that leaves nothing."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        following = lines[index + 1 : index + 5]
        if (
            _ORIGINAL.match(line)
            or _ATTRIBUTION.match(line)
            or (_ATTRIBUTION_ZH.search(line) and re.search(r"\d{4}", line))
            # Gmail wraps a long attribution: "On …, Name <" / "addr> wrote:"
            or (re.match(r"^\s*On\b", line) and following and _ATTRIBUTION.match(f"{line} {following[0]}"))
            or (_HEADER_FROM.match(line) and any(_HEADER_NEXT.match(other) for other in following))
        ):
            cut = index
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    while kept and _SEPARATOR.match(kept[-1]):
        kept.pop()
    stripped = tidy("\n".join(kept))
    return stripped or tidy(text)
