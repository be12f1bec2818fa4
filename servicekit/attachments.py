"""Content-addressed attachment files on disk, with size and type limits.

A file is stored once under its SHA-256 (``root/ab/abcdef…``), written to a temporary name and
renamed, so a crash never leaves half a file under a real name. The declared type must match
the file's first bytes: a renamed executable is not a PDF.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from servicekit.config import tenant_of, var_dir
from servicekit.errors import InvalidInput, NotFound

MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    # .docx and .xlsx are zip containers
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class AttachmentStore:
    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    @classmethod
    def for_service(cls, config: dict[str, Any], service: str) -> AttachmentStore:
        root = var_dir(config) / tenant_of(config) / service / "attachments"
        return cls(root, int(config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)))

    def put(self, content: bytes, content_type: str) -> str:
        """Store ``content`` (if new) and return its SHA-256 hex digest."""
        self.check(content, content_type)
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, path)
        return digest

    def check(self, content: bytes, content_type: str) -> None:
        if content_type not in MAGIC:
            raise InvalidInput(
                "attachment.type",
                f"Files of type {content_type} are not accepted; allowed: {', '.join(MAGIC)}.",
                f"不接受 {content_type} 类型的文件；允许的类型：{'、'.join(MAGIC)}。",
                {"field": "content_type", "allowed": list(MAGIC)},
            )
        if not content:
            raise InvalidInput("attachment.empty", "The file is empty.", "文件为空。",
                               {"field": "content"})
        if len(content) > self.max_bytes:
            raise InvalidInput(
                "attachment.too_large",
                f"The file has {len(content)} bytes; at most {self.max_bytes} are accepted.",
                f"文件大小为 {len(content)} 字节，超过上限 {self.max_bytes} 字节。",
                {"field": "content", "size": len(content), "max_bytes": self.max_bytes},
            )
        if not content.startswith(MAGIC[content_type]):
            raise InvalidInput(
                "attachment.content_mismatch",
                f"The file's content is not {content_type}.",
                f"文件内容与声明的类型 {content_type} 不符。",
                {"field": "content", "content_type": content_type},
            )

    def read(self, digest: str) -> bytes:
        path = self._path(digest)
        if not path.exists():
            raise NotFound("attachment.not_found", f"No attachment {digest}.",
                           f"附件 {digest} 不存在。", {"attachment_id": digest})
        return path.read_bytes()

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidInput("attachment.id", "An attachment id is a SHA-256 hex digest.",
                               "附件标识须为 SHA-256 十六进制摘要。", {"field": "attachment_id"})
        return self.root / digest[:2] / digest


def decode_base64(text: str, field: str = "content_base64") -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidInput("attachment.base64", f"{field} is not valid base64.",
                           f"{field} 不是有效的 base64 编码。", {"field": field}) from None
