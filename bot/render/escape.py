"""Escaping user text, in one place per medium: nothing a person typed (a batch name, an
owner, a goal, a standup) can ping, link, hide or format anything where the bot shows it.

- **Slack mrkdwn** (`esc`): Slack reads `<!channel>`, `<@U123>` and `<http://x|y>` as control
  sequences; escaping `&`, `<` and `>` (and only those, as Slack documents) turns them back
  into plain text. Without `link_names`, a bare `@channel` is plain text already.
- **Slack plain_text** (`plain`): headers, buttons and options are never parsed for links,
  and entities are not decoded there, so `esc` would show `&lt;`. A word joiner (U+2060,
  invisible) after every `<` keeps even a client that did parse from seeing a sequence.
- **GitHub markdown** (`gfm`): in an issue body `@name` and `@org/team` notify people,
  `#123` links and cross-references another issue, HTML (`<img>`, `<details>`) and HTML
  comments (`<!-- batchbot:… -->`, the bot's own marker) pass through, `[x](url)` hides where
  a link goes, and `#`, `>`, `-` or `1.` at the start of a line make headings, quotes and
  lists. `gfm` folds the text onto one line, writes a `<` that could open a tag as `&lt;`,
  backslash-escapes markdown's punctuation, and puts a word joiner after `@` and `#` so GitHub
  renders `@torvalds` and `#12` as typed but never notifies or links. Bare
  URLs stay visible (GitHub links them; the address is what you see).

Each function takes any text and is safe to apply to text that holds no markup at all, so
renderers apply it to every value they did not write themselves.
"""

from __future__ import annotations

import re

from bot.slackids import user_id_in

WORD_JOINER = "\u2060"  # invisible, zero width, and not a word character for GitHub


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Text for a Slack plain_text object: shown as typed, never a control sequence."""
    return text.replace("<", "<" + WORD_JOINER)


def person(owner: str, empty: str = "Unassigned") -> str:
    """An owner as a mention when it names a Slack user (`<@U123>` or `U123…`), else escaped."""
    owner = owner.strip()
    user = user_id_in(owner)
    if user:
        return f"<@{user}>"
    return esc(owner) if owner else empty


# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that start
# markup inline: code, emphasis, strike, links/images, math, tables.
_GFM_INLINE = re.compile(r"([\\`*_~\[\]|$])")
# `&lt;` and `&#64;` are entities to GitHub (`&#64;torvalds` would mention); `AT&T` is not.
_GFM_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_GFM_TAG = re.compile(r"<(?=[A-Za-z/!?])")
# @name, @org/team (a mention) and #12, GH-12, owner/repo#12 (a reference), e-mail-like too.
_GFM_PING = re.compile(r"([@#])(?=[0-9A-Za-z])|(?<=[Gg][Hh])-(?=[0-9])")
# What makes a block when it starts a line: heading, quote, list item, rule, setext underline.
_GFM_LEADING = re.compile(r"^(#|>|[-+=])|^([0-9]+)([.)])")


def gfm(text: str) -> str:
    """User text for GitHub markdown, on one line: shown as typed, never markup, never a ping."""
    text = " ".join(text.split())
    text = _GFM_ENTITY.sub("&amp;", text)
    # `<` as an entity (not `\<`) where it could open HTML, a comment or an autolink: the text
    # then never holds `<!--` or `<tag` at all; `< 30 min` stays as it reads.
    text = _GFM_TAG.sub("&lt;", text)
    text = _GFM_INLINE.sub(r"\\\1", text)
    text = _GFM_PING.sub(lambda m: (m.group(1) or "-") + WORD_JOINER, text)
    return _GFM_LEADING.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)
