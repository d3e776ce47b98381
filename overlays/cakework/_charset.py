"""Response bodies as text, decoded by the charset the response declares.

``httpx.Response.text`` raises a bare ``UnicodeError`` for a body declared ``utf-16`` or
``utf-32`` without a BOM, and ``LookupError`` never (it ignores unknown charsets); these
two functions say exactly what happens instead.
"""

from __future__ import annotations

import httpx

DEFAULT_CHARSET = "utf-8"
"""JSON's own encoding (RFC 8259), used when the response declares none."""


def declared_charset(response: httpx.Response) -> str:
    """The response's declared charset, else UTF-8."""
    if ";" not in response.headers.get("content-type", ""):
        # No parameters, so no charset: the MIME parser httpx runs for charset_encoding
        # costs more than the rest of reading a small response.
        return DEFAULT_CHARSET
    return response.charset_encoding or DEFAULT_CHARSET


def strict_text(response: httpx.Response) -> str:
    """The body decoded by its declared charset.

    Raises:
        ValueError: The charset is unknown, or the body is not valid in it (a
            ``UnicodeDecodeError`` is a ``ValueError``; so is the error raised here for
            an unknown charset or a UTF-16/32 body without a BOM).
    """
    charset = declared_charset(response)
    try:
        return response.content.decode(charset)  # LookupError names an unknown charset
    except LookupError as exc:
        raise ValueError(f"unknown charset {charset!r}") from exc
    except UnicodeError as exc:
        # UnicodeDecodeError is a ValueError already; a bare UnicodeError (no BOM) is too,
        # but the message should name the charset.
        raise ValueError(f"the body is not valid {charset}: {exc}") from exc


def lenient_text(response: httpx.Response) -> str:
    """The body as text for an error message: never raises.

    Decoded by the declared charset where that works, else as UTF-8; undecodable bytes
    become U+FFFD.
    """
    try:
        return strict_text(response)
    except ValueError:
        return response.content.decode(DEFAULT_CHARSET, errors="replace")
