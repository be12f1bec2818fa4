"""File answers: the bytes with their media type and a Content-Disposition that carries any
filename (RFC 6266 with RFC 5987's ``filename*``), shared by every download route."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

_UNSAFE = re.compile(r'[^A-Za-z0-9!#$&+.^_`|~ ()\[\]{},;=@-]')


def ascii_fallback(filename: str, default: str = "download") -> str:
    """A plain ASCII name for clients that ignore ``filename*``: accents dropped, other
    characters (CJK, quotes, backslashes, controls) replaced; the extension kept."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = decomposed.rpartition(".") if "." in decomposed else (decomposed, "", "")
    stem = _UNSAFE.sub("_", stem).strip(" ._")
    ext = _UNSAFE.sub("", ext)
    if not stem or set(stem) <= {"_"}:
        stem = default
    return f"{stem}{dot}{ext}" if ext else stem


def content_disposition(filename: str) -> str:
    """``attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`` (RFC 6266)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1] or "download"
    return (f'attachment; filename="{ascii_fallback(name)}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")


def download(content: bytes, mimetype: str, filename: str) -> Response:
    """The file as an attachment, named ``filename`` (any characters)."""
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": content_disposition(filename),
                             "X-Content-Type-Options": "nosniff"})
