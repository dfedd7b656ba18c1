"""Where editing works: the layer files, the reference data, the atlas, the database, the evidence.

Every path comes from an explicit argument or a setting (see :mod:`geo_kttt.settings`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import settings
from ..admin import AdminUnits, load_admin
from ..catalog import load_catalog
from . import db
from .errors import EditingError

MIN_SECRET = 32


@dataclass
class Workspace:
    """The places one atlas's editing reads and writes."""

    layers_dir: Path
    data_dir: Path | None
    atlas: str  # a GeoPackage path or a postgresql:// URL
    database_url: str
    evidence_dir: Path
    max_mb: float = 10.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def engine(self):
        return db.connect(self.database_url)

    @cached_property
    def admin(self) -> AdminUnits:
        return load_admin(self.data_dir)

    @property
    def catalog(self) -> dict:
        return load_catalog(self.layers_dir)

    @property
    def district_codes(self) -> list[str]:
        return list(self.admin.districts.code)


def open_workspace(layers_dir=None, data_dir=None, atlas=None, database_url=None, evidence_dir=None,
                   max_mb=None) -> Workspace:
    """A :class:`Workspace` from explicit values, falling back to the settings."""
    atlas = str(atlas or settings.get("DATABASE_URL") or settings.get("ATLAS"))
    beside = Path(atlas).parent if not atlas.startswith(("postgresql://", "postgres://")) else Path(".")
    return Workspace(
        layers_dir=Path(settings.path("LAYERS_DIR", layers_dir)),
        data_dir=settings.path("DATA_DIR", data_dir),
        atlas=atlas,
        database_url=str(database_url or settings.get("EDITING_DATABASE_URL") or db.url_for_atlas(atlas)),
        evidence_dir=Path(evidence_dir or settings.get("EVIDENCE_DIR") or beside / "evidence"),
        max_mb=float(max_mb or settings.get("EVIDENCE_MAX_MB")))


def secret_key(value: str | None = None, file=None) -> str | None:
    """The key that signs sessions: ``value``, SECRET_KEY, or the contents of SECRET_KEY_FILE.

    Returns None when none is configured (login stays off).

    Raises
    ------
    EditingError
        When the key is shorter than 32 characters or its file cannot be read.
    """
    key = value or settings.get("SECRET_KEY")
    path = file or settings.get("SECRET_KEY_FILE")
    if not key and path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise EditingError("err_secret_file", path=str(path), why=e.strerror or str(e)) from e
    if not key:
        return None
    if len(key) < MIN_SECRET:
        raise EditingError("err_secret_short")
    return key
