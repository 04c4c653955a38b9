"""Telegram alert path: a 200-fill burst and GUI loop latency against a local fake Bot API.

Run: ``QT_QPA_PLATFORM=offscreen python -m benchmarks.bench_telegram``; prints a markdown table.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.domain.enums import Side
from app.domain.trading import Fill
from app.engine.bus import EventBus
from app.notify.service import ONLINE, TelegramService
from app.settings import TelegramSettings
from tests.notify.fake_bot_api import TOKEN, FakeBotApi


async def until(predicate, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.005)


async def scenario(api: FakeBotApi, delay_s: float) -> dict[str, float]:
    bus = EventBus()
    settings = TelegramSettings(enabled=True, chat_ids=[1], base_url=api.base_url)
    service = TelegramService(bus, settings, TOKEN, poll_timeout_s=1)
    await service.start()
    await until(lambda: service.state == ONLINE)
    api.delay_s = delay_s
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(5)
    started = time.perf_counter()
    for n in range(200):
        bus.fill.emit(Fill(f"c{n}", n, 1000 + n, "EURUSD", Side.BUY, 0.1, 1.1, 0))
    emit_ms = (time.perf_counter() - started) * 1000

    def delivered() -> int:
        return len(re.findall(r"#1\d{3}", "\n".join(m.text for m in api.sent)))

    await until(lambda: delivered() == 200)
    total_s = time.perf_counter() - started
    timer.stop()
    gap_ms = max((b - a for a, b in itertools.pairwise(ticks)), default=0) * 1000
    result = {
        "emit_ms": emit_ms,
        "messages": len(api.sent),
        "merged": service.outbox.merged,
        "dropped": service.outbox.dropped,
        "deliver_s": total_s,
        "gap_ms": gap_ms,
    }
    api.delay_s = 0
    await service.stop()
    return result


def main() -> None:
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    print(
        "| server delay | 200 fills emitted in | messages sent | merged | dropped "
        "| all delivered after | max GUI timer gap (5 ms timer) |"
    )
    print("|---|---|---|---|---|---|---|")
    for delay in (0.0, 0.5):
        api = FakeBotApi()
        api.start()
        try:
            r = loop.run_until_complete(scenario(api, delay))
        finally:
            api.stop()
        print(
            f"| {delay:.1f} s | {r['emit_ms']:.1f} ms | {r['messages']:.0f} | {r['merged']:.0f} "
            f"| {r['dropped']:.0f} | {r['deliver_s']:.2f} s | {r['gap_ms']:.1f} ms |"
        )
    loop.close()


if __name__ == "__main__":
    main()
