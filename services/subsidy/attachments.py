"""Evidence attachments: checked uploads and a content-addressed file store under VAR_DIR.

An upload travels in the RPC as base64; it is accepted only if it decodes, is within the size
limit and its bytes are of an allowed type (sniffed by ``filetype``, and matching the type
the client declared). Files are stored once per content, named by their SHA-256, written to
a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filetype

from servicekit.config import tenant_of, var_dir
from servicekit.errors import InvalidInput, NotFound

ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_FILES = 5
# The RPC bound on one base64 text, whatever a deployment configures (8 MiB of content).
MAX_BASE64_CHARS = 4 * (8 * 1024 * 1024 // 3 + 1)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _refuse(code: str, en: str, zh: str, field: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, en, zh, {"field": field, **details})


def decode(items: list[dict[str, str]], max_bytes: int) -> list[Upload]:
    """The uploads of a request, or InvalidInput naming the first bad one."""
    uploads = []
    for i, item in enumerate(items):
        field = f"attachments[{i}]"
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise _refuse(
                "attachment.invalid_base64",
                f"{field}.content_base64 is not valid base64.",
                f"{field}.content_base64 不是有效的 base64 编码。",
                f"{field}.content_base64",
            ) from None
        if not content or len(content) > max_bytes:
            raise _refuse(
                "attachment.size",
                f"{field} has {len(content)} bytes; an attachment has 1 to {max_bytes}.",
                f"{field} 大小为 {len(content)} 字节，附件须为 1 至 {max_bytes} 字节。",
                field,
                size=len(content),
                max_bytes=max_bytes,
            )
        kind = filetype.guess(content)
        sniffed = kind.mime if kind is not None else None
        if sniffed not in ALLOWED_TYPES or sniffed != item["content_type"]:
            raise _refuse(
                "attachment.type",
                f"{field} is declared {item['content_type']} and its content is "
                f"{sniffed or 'unrecognised'}; evidence must be one of {', '.join(ALLOWED_TYPES)}.",
                f"{field} 声明类型为 {item['content_type']}，实际内容为 "
                f"{sniffed or '无法识别'}；凭证须为以下类型之一：{'、'.join(ALLOWED_TYPES)}。",
                field,
                declared=item["content_type"],
                detected=sniffed,
                allowed=list(ALLOWED_TYPES),
            )
        uploads.append(Upload(item["filename"], sniffed, content))
    return uploads


class AttachmentStore:
    """Files named by their SHA-256 under ``root``, two folder levels deep."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    @classmethod
    def for_config(cls, config: dict[str, Any], service: str) -> AttachmentStore:
        root = var_dir(config) / "attachments" / service / tenant_of(config)
        return cls(root, int(config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)))

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, upload: Upload) -> str:
        """Store the content (once: the same bytes have the same name); returns its hash."""
        digest = upload.sha256
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(upload.content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        target = self.path(sha256)
        if not target.exists():
            raise NotFound(
                "attachment.missing",
                f"The file {sha256} is not in the attachment store.",
                f"附件存储中没有文件 {sha256}。",
                {"sha256": sha256},
            )
        content = target.read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            raise RuntimeError(f"attachment {sha256} is corrupt on disk")
        return content
