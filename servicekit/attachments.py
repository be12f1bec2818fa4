"""Attachments: checked uploads and a content-addressed file store, for every service.

An upload travels in an RPC as base64. It is accepted only if it decodes, is within the size
limit, and its bytes are of an allowed type — recognised by ``filetype`` and the same as the
type the client declared (a renamed executable is not a PDF), and it carries no program: no
Windows (PE) or ELF executable anywhere in its bytes, and for a PDF no action that launches,
embeds or scripts (``/Launch``, ``/EmbeddedFile``, ``/JavaScript``). A file is stored once per
content under its SHA-256 (``root/ab/abcdef…``), written to a temporary name and renamed, so
a crash never leaves half a file under a real name; reading checks the hash again.
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

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENT_TYPES = (PDF, JPEG, PNG, DOCX, XLSX)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5  # attachments in one request
# The RPC bound on one base64 text, whatever a deployment configures (10 MiB of content).
MAX_BASE64_CHARS = 4 * (DEFAULT_MAX_BYTES // 3 + 1)


# What a document may not carry: names of PDF actions that run or embed something.
_PDF_ACTIVE = (b"/Launch", b"/EmbeddedFile", b"/JavaScript", b"/JS")
_PROGRAM_ZH = {"a Windows executable": "Windows 可执行程序", "an ELF executable": "ELF 可执行程序",
               "a PDF action": "PDF 自动执行动作"}


def _has_pe(content: bytes) -> bool:
    """An MZ header whose e_lfanew (at +0x3c) points at a "PE\0\0" signature."""
    at = content.find(b"MZ")
    while at != -1:
        pointer = content[at + 0x3C:at + 0x40]
        if len(pointer) == 4:
            offset = at + int.from_bytes(pointer, "little")
            if content[offset:offset + 4] == b"PE\0\0":
                return True
        at = content.find(b"MZ", at + 1)
    return False


def _has_elf(content: bytes) -> bool:
    """"\x7fELF" followed by a valid class, byte order and version."""
    at = content.find(b"\x7fELF")
    while at != -1:
        header = content[at + 4:at + 7]
        if len(header) == 3 and header[0] in (1, 2) and header[1] in (1, 2) and header[2] == 1:
            return True
        at = content.find(b"\x7fELF", at + 1)
    return False


def embedded_program(content: bytes, content_type: str) -> str | None:
    """What program ``content`` carries (appended, embedded or as a PDF action), or None."""
    if _has_pe(content):
        return "a Windows executable"
    if _has_elf(content):
        return "an ELF executable"
    if content_type == PDF and any(name in content for name in _PDF_ACTIVE):
        return "a PDF action"
    return None


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class AttachmentStore:
    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                 allowed: tuple[str, ...] = DOCUMENT_TYPES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.allowed = allowed

    @classmethod
    def for_service(cls, config: dict[str, Any], service: str,
                    allowed: tuple[str, ...] = DOCUMENT_TYPES) -> AttachmentStore:
        """The store under VAR_DIR/<tenant>/<service>/attachments; ATTACHMENT_MAX_BYTES."""
        root = var_dir(config) / tenant_of(config) / service / "attachments"
        return cls(root, int(config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)), allowed)

    def check(self, content: bytes, declared: str, field: str = "content") -> str:
        """The content's type when it is acceptable; InvalidInput naming ``field`` if not."""
        if not content or len(content) > self.max_bytes:
            raise InvalidInput(
                "attachment.size",
                f"{field} has {len(content)} bytes; an attachment has 1 to {self.max_bytes}.",
                f"{field} 大小为 {len(content)} 字节，附件须为 1 至 {self.max_bytes} 字节。",
                {"field": field, "size": len(content), "max_bytes": self.max_bytes},
            )
        sniffed = filetype.guess_mime(content)
        if sniffed not in self.allowed or sniffed != declared:
            raise InvalidInput(
                "attachment.type",
                f"{field} is declared {declared} and its content is "
                f"{sniffed or 'unrecognised'}; allowed: {', '.join(self.allowed)}.",
                f"{field} 声明类型为 {declared}，实际内容为 {sniffed or '无法识别'}；"
                f"允许的类型：{'、'.join(self.allowed)}。",
                {"field": field, "declared": declared, "detected": sniffed,
                 "allowed": list(self.allowed)},
            )
        carried = embedded_program(content, sniffed)
        if carried:
            raise InvalidInput(
                "attachment.executable",
                f"{field} carries {carried}; evidence files may not contain programs.",
                f"{field} 含有{_PROGRAM_ZH.get(carried, carried)}，证明材料中不得包含程序。",
                {"field": field, "found": carried},
            )
        return sniffed

    def put(self, content: bytes, declared: str, field: str = "content") -> str:
        """Store the content once (the same bytes have the same name); returns its hash."""
        self.check(content, declared, field)
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def read(self, digest: str) -> bytes:
        target = self.path(digest)
        if not target.exists():
            raise NotFound("attachment.not_found", f"No attachment {digest}.",
                           f"附件 {digest} 不存在。", {"attachment_id": digest})
        content = target.read_bytes()
        if hashlib.sha256(content).hexdigest() != digest:
            raise RuntimeError(f"attachment {digest} is corrupt on disk")
        return content

    def path(self, digest: str) -> Path:
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


def decode_uploads(items: list[dict[str, str]], store: AttachmentStore,
                   field: str = "attachments") -> list[Upload]:
    """A request's base64 attachments ({filename, content_type, content_base64}), each
    decoded and checked; InvalidInput names the first bad one."""
    uploads = []
    for i, item in enumerate(items):
        name = f"{field}[{i}]"
        content = decode_base64(item["content_base64"], f"{name}.content_base64")
        store.check(content, item["content_type"], name)
        uploads.append(Upload(item["filename"], item["content_type"], content))
    return uploads
