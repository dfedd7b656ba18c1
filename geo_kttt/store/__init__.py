"""The built atlas that every output reads: a GeoPackage by default, PostGIS on a shared server.

:func:`build` validates the layer files and writes the atlas (atomically, in either
backend); :func:`open_atlas` opens it read-only. Both pick the backend from the location:
a ``postgresql://`` URL means PostGIS (:mod:`.postgis`, optional extra ``postgis``),
anything else a GeoPackage path (:mod:`.base`, which also holds the read API that both
backends share).

May import: the foundations and the content model. Features, ``cli`` and ``server`` read
the atlas through this package; it never imports them.
"""

from __future__ import annotations

from pathlib import Path

from ..admin import AdminUnits
from ..i18n import Msg
from .base import Atlas, AtlasMissing, AtlasUnreadable, build_geopackage, file_identity
from .postgis import PostgisAtlas, build_postgis

__all__ = ["Atlas", "AtlasMissing", "AtlasUnreadable", "PostgisAtlas", "build", "file_identity",
           "is_database", "open_atlas"]

DATABASE_SCHEMES = ("postgresql://", "postgres://")


def is_database(location) -> bool:
    """True for a PostGIS URL, False for a GeoPackage path."""
    return str(location).startswith(DATABASE_SCHEMES)


def build(layers_dir: Path, admin: AdminUnits, dest) -> list:
    """Build the atlas at ``dest`` (a GeoPackage path or a ``postgresql://`` URL).

    Returns
    -------
    list
        The validation warnings.

    Raises
    ------
    ValidationFailed
        When any layer file has an error; the previous atlas is left unchanged.
    """
    if is_database(dest):
        return build_postgis(layers_dir, admin, str(dest))
    return build_geopackage(layers_dir, admin, Path(dest))


def open_atlas(location) -> Atlas:
    """Open a built atlas: a GeoPackage path, or a ``postgresql://`` URL."""
    loc = str(location)
    if is_database(loc):
        return PostgisAtlas(loc)
    if not Path(loc).is_file():
        raise AtlasMissing(Msg("atlas_missing", location=loc))
    return Atlas(Path(loc))
