"""pytest-qt: the window stays responsive, the status bar and the settings dialog."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.domain.enums import Side
from app.domain.trading import Fill
from app.engine.bus import EventBus
from app.notify.setup import TEST_TEXT, TelegramHooks
from app.settings import TelegramSettings
from app.ui.dialogs.telegram import TelegramSettingsWidget
from app.ui.main_window import MainWindow
from tests.notify.conftest import TRADER, Telegram, until
from tests.notify.fake_bot_api import TOKEN


def window_for(qtbot: QtBot, tmp_path: Path, bus: EventBus) -> MainWindow:
    window = MainWindow(
        bus, default_symbol="EURUSD", default_volume=0.1, state_file=tmp_path / "w.ini"
    )
    qtbot.addWidget(window)
    window.show()
    return window


def test_window_stays_responsive_while_telegram_is_slow(
    qtbot: QtBot, tmp_path: Path, telegram: Telegram
) -> None:
    bus = EventBus()
    window = window_for(qtbot, tmp_path, bus)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    async def scenario() -> None:
        h = await telegram.start(bus=bus, per_chat_interval_s=0.05)
        h.service.status_changed.connect(window.set_telegram_status)
        h.service._publish_status()
        assert window.telegram_label.text() == "Telegram: online"
        telegram.api.delay_s = 0.8  # every Bot API answer now takes 0.8 s
        timer.start()
        for n in range(25):  # fills keep coming while each send takes 0.8 s
            bus.fill.emit(Fill(f"c{n}", n, n, "EURUSD", Side.BUY, 0.1, 1.1, 0))
            await asyncio.sleep(0.1)
        await until(lambda: len(h.api.sent) >= 3, timeout=10)
        timer.stop()
        telegram.api.delay_s = 0

    telegram.run(scenario)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 50
    assert max(gaps) < 0.4  # a blocking send would freeze the loop for 0.8 s or more


def test_status_label_shows_state_and_counters(qtbot: QtBot, tmp_path: Path) -> None:
    window = window_for(qtbot, tmp_path, EventBus())
    assert window.telegram_label.text() == "Telegram: off"
    assert not window.telegram_action.isEnabled()
    window.set_telegram_status("offline", "connection refused (retrying in 4 s)", 12, 3)
    assert window.telegram_label.text() == "Telegram: offline (retrying) · 12 merged, 3 dropped"
    assert "connection refused" in window.telegram_label.toolTip()


def hooks(telegram: Telegram, tmp_path: Path) -> TelegramHooks:
    settings = TelegramSettings(chat_ids=[TRADER], base_url=telegram.api.base_url)
    return TelegramHooks(settings, tmp_path / "settings.toml")


def test_settings_dialog_sends_a_test_message_without_blocking(
    qtbot: QtBot, tmp_path: Path, telegram: Telegram
) -> None:
    window = window_for(qtbot, tmp_path, EventBus())
    window.set_telegram_backend(hooks(telegram, tmp_path))
    assert window.telegram_action.isEnabled()
    dialog = window.open_telegram_settings()
    assert dialog is not None
    widget: TelegramSettingsWidget = dialog.widget
    assert widget.token.echoMode() is QLineEdit.EchoMode.Password
    widget.token.setText(TOKEN)

    async def scenario() -> None:
        telegram.api.delay_s = 0.3
        widget.test_button.click()  # returns at once; the send runs on the loop
        assert widget.result.text() == "Sending…" and not widget.test_button.isEnabled()
        await until(lambda: widget.test_button.isEnabled())
        assert widget.result.text() == "Test message sent to 1 chat."
        assert telegram.api.texts_to(TRADER) == [TEST_TEXT]

        widget.token.setText("987654321:wrong-token-for-tests")
        widget.test_button.click()
        await until(lambda: widget.test_button.isEnabled())
        assert widget.result.text() == "Test failed: Telegram rejected the bot token (Unauthorized)"

        telegram.api.delay_s = 0
        telegram.api.down = True
        widget.token.setText(TOKEN)
        widget.test_button.click()
        await until(lambda: widget.test_button.isEnabled())
        assert widget.result.text().startswith("Test failed: cannot reach Telegram: ")
        assert TOKEN not in widget.result.text()
        telegram.api.down = False

    telegram.run(scenario)
    dialog.close()


def test_bad_chat_ids_change_nothing(qtbot: QtBot, tmp_path: Path, telegram: Telegram) -> None:
    backend = hooks(telegram, tmp_path)
    widget = TelegramSettingsWidget(backend)
    qtbot.addWidget(widget)
    widget.chat_ids.setText("111, abc")
    widget.save_button.click()
    assert widget.result.text() == "Not saved: chat id 'abc' is not a whole number (e.g. 123456789)"
    assert not (tmp_path / "settings.toml").exists()
    widget.chat_ids.setText("111, -100222")
    widget.categories["fills"].setChecked(False)
    widget.save_button.click()
    assert widget.result.text().startswith("Saved.")
    assert backend.current_settings().chat_ids == [111, -100222]
    assert not backend.current_settings().alerts.fills
    assert "fills = false" in (tmp_path / "settings.toml").read_text(encoding="utf-8")
