"""Evidence files: PDF, JPEG or PNG, size-limited, checked by content, stored outside the web root.

A file is accepted only when its first bytes are those of the type its name claims (a script
renamed ``.jpg`` or a zip renamed ``.pdf`` is refused) and, for images, when Pillow can read
its header and its pixel count is bounded (a decompression bomb is refused). Files are
stored under their SHA-256 in the evidence folder and served only to reviewers.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .errors import EditingError

TYPES = {  # extension -> (content type, magic bytes)
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; far larger images are bombs, not evidence


@dataclass(frozen=True)
class Upload:
    """A checked file, not yet stored."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def stored_name(self) -> str:
        return self.sha256 + Path(self.filename).suffix.lower().replace(".jpeg", ".jpg")


def _name(filename: str) -> str:
    base = os.path.basename((filename or "").replace("\\", "/")).strip() or "file"
    return "".join(c for c in base if c.isprintable())[:120]


def check_upload(filename: str, data: bytes, max_mb: float) -> Upload:
    """An :class:`Upload` when ``data`` is what ``filename`` says; raises EditingError otherwise."""
    name = _name(filename)
    ext = Path(name).suffix.lower()
    if ext not in TYPES:
        raise EditingError("err_file_type", name=name)
    if len(data) > max_mb * 1024 * 1024:
        raise EditingError("err_file_size", status=413, name=name, mb=len(data) / 2**20, max=max_mb)
    if not data:
        raise EditingError("err_file_empty", name=name)
    content_type, magics = TYPES[ext]
    kind = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}[content_type]
    if not data.startswith(magics):
        raise EditingError("err_file_content", name=name, kind=kind)
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise EditingError("err_file_content", name=name, kind=kind)
    else:
        _check_image(name, data, kind)
    return Upload(name, content_type, data)


def _check_image(name: str, data: bytes, kind: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                pixels = im.size[0] * im.size[1]
                if im.format != kind or pixels > MAX_PIXELS:
                    raise EditingError("err_image_bomb", name=name, pixels=f"{pixels:,}")
                im.verify()
    except EditingError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EditingError("err_image_bomb", name=name, pixels="> 89,000,000") from None
    except Exception:  # noqa: BLE001 - any reader error means a damaged or disguised file
        raise EditingError("err_file_content", name=name, kind=kind) from None


def store(upload: Upload, folder: Path) -> Path:
    """Write ``upload`` under its hash in ``folder`` (atomically); returns the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    dest = folder / upload.stored_name
    if dest.is_file():
        return dest
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload.data)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def path_of(folder: Path, stored_name: str) -> Path:
    """The stored file's path; refuses any name that is not a bare hash file name."""
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise EditingError("not_found", status=404)
    return Path(folder) / stored_name
