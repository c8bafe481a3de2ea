"""Run the fake Bot API server by hand, to try `make run` without a real bot token.

    python -m tests.fakebot [--port 8081]

then, in another terminal:

    BOT_TOKEN=123456:FAKE TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot make run

Type lines here as a Telegram user would (USER_ID is any number you choose for that person):

    111 /start                 sends a message (any text: /start, a menu entry, an answer)
    111 press Tôi đồng ý       presses an inline button by its label (the emoji may be left out)
    111 contact 0912345678     shares the user's own phone number (the 📱 button)

Everything the bot sends is printed, with its buttons.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from .server import FakeBotApi


async def act(fake: FakeBotApi, line: str) -> None:
    user_id, _, rest = line.strip().partition(" ")
    if not user_id.isdigit() or not rest:
        print("usage: USER_ID text | USER_ID press LABEL | USER_ID contact PHONE")
        return
    user = fake.user(int(user_id))
    verb, _, argument = rest.partition(" ")
    try:
        if verb == "press":
            await user.press(argument)
        elif verb == "contact":
            await user.share_contact(argument)
        else:
            await user.send_text(rest)
    except LookupError as error:
        print(error)


async def echo_sent(fake: FakeBotApi) -> None:
    shown = 0
    while True:
        await asyncio.sleep(0.2)
        for message in fake.sent[shown:]:
            print(
                f"bot -> {message.chat_id}: {message.text}  {message.buttons() or ''}"
                f"{message.keyboard() or ''}"
            )
        shown = len(fake.sent)


async def main(port: int) -> None:
    fake = FakeBotApi(port=port)
    await fake.start()
    print(f"Fake Bot API on {fake.base_url} (TELEGRAM_API_BASE_URL). Ctrl+D or Ctrl+C stops.")
    printer = asyncio.create_task(echo_sent(fake))
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            await act(fake, line)
    finally:
        printer.cancel()
        await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for trying chibo")
    parser.add_argument("--port", type=int, default=8081)
    asyncio.run(main(parser.parse_args().port))
