"""Saving Telegram settings to the user's file keeps everything else in it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.notify.setup import write_telegram_section
from app.settings import TelegramAlerts, TelegramSettings, load_settings


def test_telegram_tables_are_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    user = tmp_path / "settings.toml"
    user.write_text(
        "# my settings\n[sim]\nbalance = 500.0\n\n[telegram]\nenabled = false\n"
        "chat_ids = [1]\n\n[telegram.alerts]\nfills = false\n\n[ui]\ntheme = 'dark'\n",
        encoding="utf-8",
    )
    new = TelegramSettings(
        enabled=True,
        chat_ids=[5, -1009],
        alerts=TelegramAlerts(errors=False),
        time_zone="Europe/Berlin",
    )
    write_telegram_section(user, new)
    text = user.read_text(encoding="utf-8")
    assert text.startswith("# my settings\n[sim]")
    data = tomllib.loads(text)
    assert data["sim"] == {"balance": 500.0} and data["ui"] == {"theme": "dark"}
    loaded = load_settings(environ={}, user_config_dir=tmp_path)
    assert loaded.telegram == new
    assert loaded.telegram.alerts.fills  # the old override is gone
