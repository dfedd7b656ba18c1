"""One error type for editing, carrying an i18n key so the web shows it in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AtlasError
from ..i18n import register, t


class EditingError(AtlasError, ValueError):
    """Something a person asked for that cannot be done; ``key`` names its vi/en text.

    ``str()`` gives the English text (command line, logs); the web translates with ``text(lang)``.
    """

    http_status = 400

    def __init__(self, key: str, status: int | None = None, **params):
        self.key, self.params = key, params
        if status is not None:
            self.http_status = status
        super().__init__(self.text("en"))

    def text(self, lang: str = "vi") -> str:
        return t(self.key, lang).format(**self.params)


@dataclass(frozen=True)
class Issue:
    """One problem with a proposal, naming its field; ``vi``/``en`` are the message and fix."""

    field: str
    vi: str
    en: str
    severity: str = "error"

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


def issue(field_name: str, key: str, **params) -> Issue:
    e = EditingError(key, **params)
    return Issue(field_name, e.text("vi"), e.text("en"))


class Conflict(EditingError):
    """The site or proposal changed since the person looked at it (per-site versions)."""

    http_status = 409


class NotAllowed(EditingError):
    """The person's roles do not allow this."""

    http_status = 403


register({
    "err_username": {"vi": "Tên đăng nhập '{name}' không hợp lệ: 3–40 ký tự a-z, 0-9, '.', '_' hoặc '-'.",
                     "en": "Username '{name}' is not valid: 3–40 characters a-z, 0-9, '.', '_' or '-'."},
    "err_user_exists": {"vi": "Đã có tài khoản '{name}'.", "en": "There is already an account '{name}'."},
    "err_no_user": {"vi": "Không có tài khoản '{name}'.", "en": "There is no account '{name}'."},
    "err_password_short": {"vi": "Mật khẩu cần ít nhất {n} ký tự.",
                           "en": "The password needs at least {n} characters."},
    "err_role": {"vi": "Vai trò '{role}' không có; dùng: {allowed}.",
                 "en": "Unknown role '{role}'; use one of: {allowed}."},
    "err_district_limit": {"vi": "Chỉ vai trò contributor mới giới hạn theo huyện.",
                           "en": "Only the contributor role can be limited to districts."},
    "err_district_code": {"vi": "Mã huyện '{code}' không thuộc An Giang; dùng: {allowed}.",
                          "en": "District code '{code}' is not in An Giang; use one of: {allowed}."},
    "err_password_mismatch": {"vi": "Hai lần nhập mật khẩu không khớp.", "en": "The passwords do not match."},
    "err_login": {"vi": "Tên đăng nhập hoặc mật khẩu không đúng.", "en": "Wrong username or password."},
    "err_locked": {"vi": "Đăng nhập bị khóa tạm thời sau nhiều lần sai; thử lại sau {minutes} phút.",
                   "en": "Login is locked after repeated failures; try again in {minutes} minutes."},
    "err_secret": {"vi": "Đăng nhập chưa được bật: quản trị viên cần đặt khóa bí mật "
                         "(GEO_KTTT_SECRET_KEY_FILE, xem docs/editing.md).",
                   "en": "Login is not enabled: the administrator must set a secret key "
                         "(GEO_KTTT_SECRET_KEY_FILE, see docs/editing.md)."},
    "err_secret_file": {"vi": "Không đọc được tệp khóa bí mật {path}: {why}.",
                        "en": "Cannot read the secret key file {path}: {why}."},
    "err_secret_short": {"vi": "Khóa bí mật quá ngắn (cần ít nhất 32 ký tự).",
                         "en": "The secret key is too short (at least 32 characters)."},
})
