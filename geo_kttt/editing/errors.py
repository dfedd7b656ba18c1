"""One error type for editing, carrying an i18n key so the web shows it in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AtlasError
from ..i18n import t


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


