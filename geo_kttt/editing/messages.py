"""Vietnamese for the rules of :mod:`geo_kttt.validate`, as officers read them in the proposal form.

``geo-kttt validate`` speaks English (its messages are also the command line's and the
logs'). The form shows the same rule in Vietnamese first: each known message and fix is
matched by a pattern and rewritten; an unknown one is shown as the command line says it.
"""

from __future__ import annotations

import re

# (pattern of validate's message, Vietnamese message, Vietnamese fix); groups carry the values.
RULES = [
    (r"is empty", "đang để trống", "điền vào; trường này bắt buộc"),
    (r"'(?P<v>.*)' is not a (?:float|int)", "'{v}' không phải là số", "ghi một số, ví dụ 12,5"),
    (r"'(?P<v>.*)' is not a bool", "'{v}' không phải là có/không", "chọn Có hoặc Không"),
    (r"'(?P<v>.*)' is not allowed in layer (?P<l>\S+)", "'{v}' không có trong danh sách của lớp {l}",
     "chọn một giá trị trong danh sách"),
    (r"a capacity needs a unit", "công suất cần có đơn vị", "chọn đơn vị (tấn/ngày, MWp, ha…)"),
    (r"precision '(?P<p>\w+)' needs a coordinate", "độ chính xác '{p}' cần có tọa độ",
     "chọn vị trí trên bản đồ hoặc nhập tọa độ"),
    (r"precision 'commune' needs a commune code", "vị trí cấp xã cần mã xã", "chọn xã"),
    (r"only one of lon and lat is given", "chỉ có kinh độ hoặc vĩ độ", "nhập cả hai hoặc bỏ trống cả hai"),
    (r"no source", "chưa có nguồn", "ghi số văn bản hoặc đường dẫn"),
    (r"'(?P<d>.*)' is not a district of An Giang", "'{d}' không phải là huyện của An Giang",
     "chọn huyện trong danh sách (mã GSO trước 2025)"),
    (r"'(?P<c>.*)' is not a commune of An Giang", "'{c}' không phải là xã của An Giang",
     "chọn xã trong danh sách (mã GSO trước 2025)"),
    (r"commune (?P<c>\d+) lies in district (?P<x>\d+), not (?P<d>\d+)",
     "xã {c} thuộc huyện {x}, không phải huyện {d}", "sửa mã huyện hoặc mã xã"),
    (r"point \((?P<xy>[^)]*)\) is (?P<km>[\d.]+) km outside An Giang",
     "điểm ({xy}) nằm ngoài An Giang {km} km",
     "kiểm tra kinh độ/vĩ độ có bị đổi chỗ hoặc sai hệ tọa độ; kinh độ ≈ 104,8–105,6, vĩ độ ≈ 10,2–10,97"),
    (r"point is (?P<km>[\d.]+) km outside unit (?P<u>\d+)", "điểm nằm ngoài đơn vị {u} {km} km",
     "sửa mã đơn vị hoặc vị trí"),
    (r"point is (?P<m>\d+) m outside unit (?P<u>\d+)", "điểm nằm ngoài đơn vị {u} {m} m",
     "trong sai số của ranh giới khái quát; kiểm tra nếu chưa chắc"),
    (r"has a control character \((?P<c>U\+[0-9A-F]+)\)", "có ký tự điều khiển ({c})",
     "xóa ký tự đó, gõ lại ô"),
    (r"'(?P<e>.*)' is a list of administrative codes.*",
     "'{e}' là danh mục mã hành chính, không phải nguồn về cơ sở",
     "ghi vào phần ghi chú; chỉ giữ nguồn nói về chính cơ sở"),
    (r"has characters other than .*", "có ký tự ngoài a-z, 0-9 và '-'", "dùng mã dạng 'solar-sao-mai'"),
]
_COMPILED = [(re.compile(rf"^{p}$"), vi, fix) for p, vi, fix in RULES]
# The importer's warnings (``geo-kttt import``): pattern -> Vietnamese.
WARNINGS = [
    (r"row (?P<r>\d+): no id; new id '(?P<i>.*)' made from the name",
     "dòng {r}: không có mã; mã mới '{i}' tạo từ tên"),
    (r"row (?P<r>\d+): no id; matched '(?P<i>.*)' by name and commune",
     "dòng {r}: không có mã; khớp với cơ sở '{i}' theo tên và xã"),
    (r"columns not used: (?P<c>.*)", "các cột không dùng: {c}"),
]
_WARNINGS = [(re.compile(rf"^{p}$"), vi) for p, vi in WARNINGS]


def vietnamese_warning(text: str) -> str:
    """An import warning in Vietnamese when it is known, else as the command line says it."""
    for pattern, vi in _WARNINGS:
        m = pattern.match(text)
        if m:
            return vi.format(**m.groupdict())
    return text


def vietnamese(message: str) -> tuple[str, str] | None:
    """(message, fix) in Vietnamese for a validation message, or None when the rule is unknown."""
    for pattern, vi, fix in _COMPILED:
        m = pattern.match(message)
        if m:
            values = {k: v.replace(".", ",") if k in ("km",) else v for k, v in m.groupdict().items()}
            return vi.format(**values), fix
    return None
