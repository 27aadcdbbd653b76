"""Secrets out of text, in every form they travel in, and never onto a cleartext wire.

A token leaves batchbot raw (`Authorization: token ghp_…`), as HTTP Basic (git's
`Authorization: Basic base64("x-access-token:TOKEN")`), as a Bearer header, or inside a URL
(`https://user:TOKEN@host`). A remote or proxy that echoes the request into its error brings
any of those back into a reply or the log, so masking only the raw token is not enough
(issue 18 item 3). Core module: the standard library only.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from urllib.parse import quote, urlsplit

MASK = "***"
#: Token shapes masked even when the token itself is not known here (Slack, GitHub).
_SHAPES = re.compile(
    r"xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"
)
_SLACK_MASK = "xox…[redacted]"
#: `Authorization: Basic …` / `Bearer …` / `token …` (headers, git's http.extraHeader).
_AUTH = re.compile(
    r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*(?:basic|bearer|token)\s+)[A-Za-z0-9+/=._~-]+"
)
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def mask_tokens(text: str) -> str:
    """Anything shaped like a Slack or GitHub token, and every credential in an auth header."""
    text = _AUTH.sub(r"\1" + MASK, text)
    return _SHAPES.sub(lambda m: _SLACK_MASK if m.group(0).startswith("x") else MASK, text)


def forms(secret: str) -> list[str]:
    """The ways `secret` is written on the wire: raw, URL-quoted, and inside base64 (HTTP
    Basic's `user:SECRET`, whatever the user): base64 works in 3-byte groups, so the groups
    made of the secret's bytes alone encode the same whatever precedes them — one form for
    each of the three alignments."""
    out = {secret, quote(secret, safe="")}
    raw = secret.encode()
    for skip in range(3):
        whole = raw[skip : skip + 3 * ((len(raw) - skip) // 3)]
        out.add(base64.b64encode(whole).decode())
    return sorted((f for f in out if len(f) >= 8), key=len, reverse=True)


def redact(text: str, *secrets: str | None) -> str:
    """`text` without credentials: URL userinfo, auth headers, token shapes, and every form
    (raw, URL-quoted, base64) of each secret given."""
    text = _URL_CREDENTIALS.sub(r"\1" + MASK + "@", text)
    for secret in secrets:
        if secret:
            for form in forms(secret):
                text = text.replace(form, MASK)
    return mask_tokens(text)


def is_loopback(url: str | None) -> bool:
    host = (urlsplit(url or "").hostname or "").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cleartext_refusal(url: str | None, setting: str, allowed: bool) -> str | None:
    """Why a credential may not be sent to `url`, or None when it may.

    Plain `http://` carries the token in the clear: refused unless the host is this machine
    (127.0.0.0/8, ::1, localhost — test fakes and local proxies) or the operator said so
    with BATCHBOT_ALLOW_INSECURE_HTTP=true.
    """
    if not (url or "").lower().startswith("http://") or allowed or is_loopback(url):
        return None
    return (
        f"{setting} is plain http:// and a token would be sent in the clear; use https:// "
        "(or set BATCHBOT_ALLOW_INSECURE_HTTP=true if this network is trusted)"
    )
