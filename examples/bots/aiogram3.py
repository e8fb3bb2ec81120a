# Echo bot, aiogram 3 (`dp.start_polling`): replies "echo: <text>". Run it with the venv of requirements.txt:
#   BOT_TOKEN=… botwarden run -- .venv-bots/bin/python examples/bots/aiogram3.py
# BOT_TOKEN and TELEGRAM_API_ROOT (botwarden sets it; https://api.telegram.org without botwarden) are required.
# HANDLER_DELAY_MS: each handler sleeps this long first (default 0). DROP_PENDING=1: the start-up line of most
# aiogram tutorials, `await bot.delete_webhook(drop_pending_updates=True)`. Prints "ready" once polling starts.
# aiogram's own defaults are kept: handlers run as tasks, SIGTERM/SIGINT stop polling and exit 0.
import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

for name in ("BOT_TOKEN", "TELEGRAM_API_ROOT"):
    if not os.environ.get(name):
        print(f"aiogram echo: {name} is not set", file=sys.stderr)
        sys.exit(2)
DELAY_S = int(os.environ.get("HANDLER_DELAY_MS", "0")) / 1000
DROP_PENDING = os.environ.get("DROP_PENDING") == "1"

dp = Dispatcher()


@dp.message(F.text)
async def echo(message: Message) -> None:
    if DELAY_S:
        await asyncio.sleep(DELAY_S)
    await message.answer(f"echo: {message.text}")


@dp.startup()
async def on_startup() -> None:
    print("ready", flush=True)


async def main() -> None:
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_ROOT"])))
    if DROP_PENDING:
        await bot.delete_webhook(drop_pending_updates=True)
    await dp.start_polling(bot)
    print("stopped", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    asyncio.run(main())
