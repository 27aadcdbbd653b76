"""Count the sentences of a standup update and decide whether it is acceptable.

A standup is meant to be short: 2–3 sentences and at most 1,000 characters. People
write those updates in Slack, so the text is full of things a naive "split on
periods" gets wrong: abbreviations (e.g., vs., Dr.), version numbers (v1.2.3),
decimals (2.5%), links (``<https://x.y/z?a=b.c|label>``), e-mail addresses, file
names (app.py), ellipses, emoji and line breaks used instead of punctuation.
Refusing a valid update is more annoying than letting a borderline one through, so
every rule below errs on the side of *not* inventing a sentence boundary.

The module is pure: no I/O, no clock, no Slack imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BLOCKER_WORDS",
    "MAX_CHARS",
    "MAX_SENTENCES",
    "MIN_SENTENCES",
    "StandupCheck",
    "check_standup",
    "count_sentences",
    "mentions_blocker",
]

MIN_SENTENCES = 2
MAX_SENTENCES = 3
MAX_CHARS = 1000

# Abbreviations after which a period never ends a sentence, because the next word
# always continues the sentence ("e.g. Postgres", "Dr. Smith", "approx. 3 days").
_NEVER_FINAL = frozenset(
    {
        "e.g",
        "eg",
        "i.e",
        "ie",
        "vs",
        "v",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "sr",
        "jr",
        "approx",
        "incl",
        "excl",
        "esp",
        "cf",
        "resp",
        "viz",
        "w.r.t",
        "a.k.a",
        "aka",
        "dept",
        "est",
        "ca",
    }
)
# Abbreviations that are only abbreviations in front of a number ("No. 5", "fig. 2");
# otherwise they are ordinary words ("the answer is no.").
_BEFORE_NUMBER = frozenset({"no", "nr", "fig", "vol", "p", "pp", "ch", "sec", "ver"})
# Abbreviations that may well end a sentence ("...pears etc. Then I left."): they do
# when the next word starts with a capital letter.
_MAYBE_FINAL = frozenset(
    {"etc", "a.m", "p.m", "al", "inc", "ltd", "co", "corp", "u.s", "u.k", "e.u", "ph.d"}
)

# Things that contain periods, question marks or line-ish punctuation that are not
# sentence punctuation. They are replaced by a neutral word before counting.
_PROTECT = re.compile(
    r"""
      ```.*?```                          # code block
    | `[^`\n]*`                          # inline code
    | <[^<>\n]+>                         # Slack link, mention or channel: <https://…|label>
    | (?:https?|ftp)://[^\s<>]+          # bare URL (trailing punctuation trimmed below)
    | www\.[^\s<>]+
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+       # e-mail address
    """,
    re.VERBOSE | re.DOTALL,
)
_PLACEHOLDER = "LINK"

# A bullet or numbered list item at the start of a line.
_BULLET = re.compile(r"^\s*(?:[-*•‣◦▪–—+]|\d{1,3}[.)]|[a-zA-Z][)])\s+")
# Slack emoji shortcodes such as :tada: or :+1: or :skin-tone-2:.
_EMOJI_CODE = re.compile(r":[a-z0-9_+'-]+:", re.IGNORECASE)
# A sentence terminator run, the closing quotes/brackets after it, then a gap.
_TERMINATOR = re.compile(r"""(?:\.{2,}|…|[.!?‽]+)["'”’»)\]}*_~]*(?=\s|$)""")
_CLOSERS = "\"'”’»)]}*_~"
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
# Words that carry a sentence across a line break ("…and\nthen" or "…\nand then").
_CONTINUES_LINE_END = re.compile(
    r"(?:[,;:(&/+=–—-]|\b(?:and|or|but|with|to|for|of|the|a|an|in|on|at|from|by|via|"
    r"because|than|that|which|while|so|as|into|onto|about|after|before|until))$",
)
_CONTINUES_LINE_START = re.compile(
    r"^(?:and|or|but|which|because|than|that|while|whereas|plus|with|to)\b"
)
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class StandupCheck:
    """The verdict on one standup text, with a reason a person can act on."""

    ok: bool
    sentences: int
    reason: str = ""


def _protect(text: str) -> str:
    """Replace links, code, mentions and e-mails with a neutral word.

    Their periods and question marks are not punctuation; a URL's final "." or ")"
    usually *is* (``see https://x.y/z.``), so that is kept outside the placeholder.
    """

    def repl(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith(("`", "<")):
            return _PLACEHOLDER
        trimmed = found.rstrip(".,;:!?)]}\"'”’")
        return _PLACEHOLDER + found[len(trimmed) :]

    return _PROTECT.sub(repl, text)


def _is_boundary(segment: str, match: re.Match[str]) -> bool:
    """Decide whether the terminator run ``match`` ends a sentence."""
    run = match.group(0).rstrip(_CLOSERS)
    after = segment[match.end() :].lstrip()
    next_char = after[:1]
    if not after:
        return True
    if run in ("…",) or run.startswith(".."):
        # An ellipsis trails off inside a sentence unless a new one clearly starts.
        return next_char.isupper()
    if run != match.group(0) and next_char.islower():
        return False  # inside a quote or bracket: 'the bug (finally!) in …', '"stop!" and'
    if run != ".":
        return True  # "?", "!", "?!" – final, even before a sloppy lowercase start.
    word_match = _WORD_BEFORE.search(segment[: match.start()])
    if word_match is None:
        return True
    word = word_match.group(1)
    lowered = word.lower()
    if lowered in _NEVER_FINAL:
        return False
    if lowered in _BEFORE_NUMBER and next_char.isdigit():
        return False
    if lowered in _MAYBE_FINAL:
        return next_char.isupper()
    if "." in word and re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word):
        return next_char.isupper()  # other dotted abbreviations: "a.s.a.p. Then …"
    return True


def _count_in_segment(segment: str) -> int:
    """Count sentences in text that has no line breaks left in it.

    Trailing text without a final period is a sentence too, but a lone emoji or
    closing bracket after the last period is not.
    """
    count = 0
    start = 0
    for match in _TERMINATOR.finditer(segment):
        if not _is_boundary(segment, match):
            continue
        if _has_words(segment[start : match.start()]):
            count += 1
        start = match.end()
    if _has_words(segment[start:]):
        count += 1
    return count


def _has_words(text: str) -> bool:
    """True when ``text`` holds a letter or digit once emoji shortcodes are removed."""
    return bool(_HAS_WORD.search(_EMOJI_CODE.sub(" ", text)))


def _ends_with_terminator(line: str) -> bool:
    stripped = _EMOJI_CODE.sub("", line).rstrip().rstrip(_CLOSERS).rstrip()
    return stripped.endswith((".", "!", "?", "…", "‽"))


def _joins_next(line: str, next_line: str) -> bool:
    """Whether a line break between ``line`` and ``next_line`` is a mere wrap.

    A line break without punctuation ends a sentence when the next line starts a
    new thought; it does not when the line ends mid-phrase ("…and") or the next one
    obviously carries on ("and then …").
    """
    if _ends_with_terminator(line) or _BULLET.match(next_line):
        return False
    tail = line.rstrip()
    head = next_line.lstrip()
    return bool(_CONTINUES_LINE_END.search(tail) or _CONTINUES_LINE_START.match(head))


def count_sentences(text: str) -> int:
    """Return the number of sentences in a standup update.

    Why not a library: NLP sentence splitters are large and still trip over Slack
    markup; this handles the forms that actually appear in standups (see the
    module docstring) and is cheap enough to run on every keystroke of a modal.
    """
    lines = [line.strip() for line in _protect(text).splitlines()]
    total = 0
    paragraph: list[str] = []

    def flush() -> None:
        nonlocal total
        if paragraph:
            total += _count_in_segment(" ".join(paragraph))
            paragraph.clear()

    for index, line in enumerate(lines):
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        if not line:
            flush()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            # Each bullet item is at least one sentence, even without punctuation.
            total += max(1, _count_in_segment(line[bullet.end() :]))
            continue
        if line.rstrip().endswith(":") and _BULLET.match(next_line):
            flush()  # a header such as "Today:" introduces the bullets, it is not one
            continue
        paragraph.append(line)
        if not next_line or not _joins_next(line, next_line):
            flush()
    flush()
    return total


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def check_standup(text: str) -> StandupCheck:
    """Accept or refuse a standup update, with a one-line reason when refused.

    The length is checked before the sentence count because a wall of text is the
    more useful thing to point out first.
    """
    stripped = text.strip()
    if not stripped:
        return StandupCheck(
            ok=False,
            sentences=0,
            reason=(
                f"That's empty; a standup is {MIN_SENTENCES}–{MAX_SENTENCES} sentences "
                "about what you did, what's next and what blocks you."
            ),
        )
    sentences = count_sentences(stripped)
    if len(stripped) > MAX_CHARS:
        return StandupCheck(
            ok=False,
            sentences=sentences,
            reason=f"That's {_plural(len(stripped), 'character')}; the limit is {MAX_CHARS:,}.",
        )
    if not MIN_SENTENCES <= sentences <= MAX_SENTENCES:
        return StandupCheck(
            ok=False,
            sentences=sentences,
            reason=(
                f"That's {_plural(sentences, 'sentence')}; a standup is "
                f"{MIN_SENTENCES}–{MAX_SENTENCES} sentences."
            ),
        )
    return StandupCheck(ok=True, sentences=sentences, reason="")


#: Words that say a standup reports a blocker (the digest and the weekly report both look).
BLOCKER_WORDS = re.compile(
    r"\b(blocked|blocker|blocking|stuck|waiting (?:on|for)|can'?t proceed|cannot proceed)\b",
    re.IGNORECASE,
)


def mentions_blocker(text: str) -> bool:
    """Whether a standup says its writer is blocked or waiting on something."""
    return BLOCKER_WORDS.search(text) is not None
