"""Attachment checks: allowed extensions whose content starts the way the type promises."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from django.utils.translation import gettext as _

from prm.core.errors import DomainError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Extension → the magic bytes the content must start with (None: text, checked separately).
_MAGIC: dict[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "csv": None,
    "txt": None,
}
ALLOWED_EXTENSIONS = tuple(_MAGIC)


def attachment_safe_name(name: str) -> str:
    """The file's base name without directories, control characters or leading dots."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", base).strip().lstrip(".")
    return base[-100:] or "attachment"


def attachment_check(upload) -> str:
    """Refuse files over 10 MB or whose extension or content is not an allowed type; answer
    the sanitised original name."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise DomainError(_("Attachments are limited to 10 MB."), field="attachment")
    if not upload.size:
        raise DomainError(_("The file is empty."), field="attachment")
    name = attachment_safe_name(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in _MAGIC:
        raise DomainError(_("Attach a PDF, PNG, JPEG, CSV or text file."), field="attachment")
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    magic = _MAGIC[extension]
    if magic is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character may be cut at the end of the sample.
            if error.start < len(head) - 4:
                raise DomainError(
                    _("The file's content does not match its type."), field="attachment"
                ) from error
        if b"\x00" in head:
            raise DomainError(_("The file's content does not match its type."), field="attachment")
    elif not head.startswith(magic):
        raise DomainError(_("The file's content does not match its type."), field="attachment")
    return name
