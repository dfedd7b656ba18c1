"""Files for investors: the investor pack (one zip) and the standalone HTML map file.

A pack holds the map sheet PDF in Vietnamese and English (:mod:`.sheet`), the standalone
HTML map (:mod:`.standalone`), the XLSX workbook, the styled GeoPackage, the KMZ for Google
Earth and the CSV with its .csvt/.prj for GIS (:mod:`.downloads`) and a README; every file
is written atomically.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from .. import io
from . import downloads, sheet
from .downloads import about_lines
from .selection import Progress, Selection, file_stem, quiet, scope_name
from .standalone import render_standalone


def investor_pack(atlas, sel: Selection, dest: Path, progress: Progress = quiet) -> Path:
    """One zip for a district or the province, for investors.

    Holds the map sheet PDF in Vietnamese and in English, the standalone HTML map,
    the XLSX workbook, the GeoPackage and a README. Written atomically.

    Parameters
    ----------
    atlas : Atlas
    sel : Selection
    dest : Path
        The ``.zip`` to write.
    progress : callable, optional
        Called with a short message before each step.
    """
    stem = file_stem(atlas, sel)
    dest = Path(dest)
    with io.atomic_path(dest) as tmp, tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        files = []
        for lang in ("vi", "en"):
            progress(f"map sheet PDF ({lang})")
            files.append(sheet.render_sheet(atlas, sel, work / f"{stem}-map-{lang}.pdf", lang=lang))
        for lang in ("vi", "en"):
            progress(f"standalone HTML map ({lang})")
            files.append(standalone_html(atlas, sel, work / f"{stem}-map-{lang}.html", lang=lang))
        for fmt in ("xlsx", "gpkg", "kmz"):
            progress(f"data ({fmt})")
            files.append(downloads.write_data(atlas, sel, fmt, work / f"{stem}.{fmt}"))
        progress("data (csv, csvt, prj)")
        gdf = downloads.export_frame(atlas, sel)
        files += downloads.csv_set(atlas, sel, gdf, work / f"{stem}.csv")
        files.append(work / f"{stem}-csv-README.txt")
        files[-1].write_text(downloads.csv_readme(gdf, f"{stem}.csv"), encoding="utf-8")
        readme = work / "README.txt"
        readme.write_text(pack_readme(atlas, sel, [f.name for f in files]), encoding="utf-8")
        progress("zip")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for f in [readme, *files]:
                z.write(f, f"{stem}/{f.name}")
    progress(f"wrote {dest}")
    return dest


PACK_FILES = {  # file name ending -> (Vietnamese, English) description
    "-map-vi.pdf": ("Bản đồ in khổ A4, tiếng Việt", "Printable A4 map sheet, Vietnamese"),
    "-map-en.pdf": ("Bản đồ in khổ A4, tiếng Anh", "Printable A4 map sheet, English"),
    "-map-vi.html": ("Bản đồ tương tác tiếng Việt, mở bằng trình duyệt, dùng được khi không có mạng",
                     "Interactive map, Vietnamese: open in a web browser; works offline"),
    "-map-en.html": ("Bản đồ tương tác tiếng Anh, mở bằng trình duyệt, dùng được khi không có mạng",
                     "Interactive map, English: open in a web browser; works offline"),
    ".xlsx": ("Bảng tính: mỗi lớp một trang, trang 'about' giải thích các trường và nguồn",
              "Workbook: a sheet per layer, plus 'about' (fields, sources, licences)"),
    ".gpkg": ("GeoPackage cho QGIS/ArcGIS: mỗi lớp một bảng, kèm ranh giới huyện/xã; QGIS mở với "
              "ký hiệu như bản đồ web",
              "GeoPackage for QGIS/ArcGIS: a table per layer, with district/commune boundaries; QGIS "
              "opens it styled like the web map"),
    ".kmz": ("KMZ cho Google Earth, có sẵn biểu tượng (dùng được khi không có mạng)",
             "KMZ for Google Earth, icons inside (works offline)"),
    ".csv": ("CSV (UTF-8) cho Excel; với .csvt và .prj bên cạnh, QGIS/GDAL đọc đúng kiểu số và tọa độ",
             "CSV (UTF-8) for Excel; with the .csvt and .prj beside it QGIS/GDAL read numbers and points"),
    ".csvt": ("Kiểu dữ liệu các cột của CSV (cho GDAL/QGIS)", "Column types of the CSV (for GDAL/QGIS)"),
    ".prj": ("Hệ tọa độ của CSV (WGS 84)", "The CSV's coordinate system (WGS 84)"),
    "-csv-README.txt": ("Cách mở CSV trong QGIS/GDAL", "How to open the CSV in QGIS/GDAL"),
}


def pack_readme(atlas, sel: Selection, names: list[str]) -> str:
    """The investor pack's README: contents, then the atlas facts in Vietnamese and English."""
    lines = [f"{atlas.metadata['title_vi']} - Bộ tài liệu nhà đầu tư / Investor pack",
             f"{scope_name(atlas, sel, 'vi')} / {scope_name(atlas, sel, 'en')}", "=" * 60, "",
             "Nội dung / Contents:"]
    for name in names:
        vi, en = next((d for end, d in PACK_FILES.items() if name.endswith(end)), ("", ""))
        lines += [f"  {name}", f"      {vi}", f"      {en}"]
    for lang in ("vi", "en"):
        lines += ["", "-" * 60] + about_lines(atlas, sel, lang)
    return "\n".join(lines) + "\n"


def standalone_html(atlas, sel: Selection, dest: Path, lang: str = "vi") -> Path:
    """One self-contained HTML file of the map (assets and data inlined). Atomic."""
    html = render_standalone(atlas, sel, lang)
    with io.atomic_path(Path(dest)) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(dest)
