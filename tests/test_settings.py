from pathlib import Path

from geo_kttt import settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme():
    undocumented = [n for n in settings.SETTINGS if f"| `{n}` |" not in README]
    assert undocumented == []


def test_environment_overrides_default(monkeypatch):
    monkeypatch.setenv("GEO_KTTT_LANG", "en")
    assert settings.get("LANG") == "en"
    assert settings.get("LANG", "vi") == "vi"
