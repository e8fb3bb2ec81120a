# Echo bot, python-telegram-bot 20+ (22.8 pinned; `Application.run_polling`): replies "echo: <text>". Run it with
# the venv of requirements.txt:  BOT_TOKEN=… botwarden run -- .venv-bots/bin/python examples/bots/ptb22.py
# BOT_TOKEN and TELEGRAM_API_ROOT (botwarden sets it; https://api.telegram.org without botwarden) are required.
# HANDLER_DELAY_MS: each handler sleeps this long first (default 0). DROP_PENDING=1:
# `run_polling(drop_pending_updates=True)`. Prints "ready" once the application is initialised (polling starts
# right after). PTB's own defaults are kept: SIGTERM/SIGINT stop polling, finish the queued updates, exit 0.
import asyncio
import logging
import os
import sys
from urllib.parse import urlparse

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

for name in ("BOT_TOKEN", "TELEGRAM_API_ROOT"):
    if not os.environ.get(name):
        print(f"ptb22 echo: {name} is not set", file=sys.stderr)
        sys.exit(2)
if urlparse(os.environ["TELEGRAM_API_ROOT"]).hostname in ("127.0.0.1", "localhost", "::1"):
    # httpx takes a proxy from these variables; a local API root (botwarden's gateway) must not go through one.
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(proxy, None)
DELAY_S = int(os.environ.get("HANDLER_DELAY_MS", "0")) / 1000
DROP_PENDING = os.environ.get("DROP_PENDING") == "1"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if DELAY_S:
        await asyncio.sleep(DELAY_S)
    await update.message.reply_text(f"echo: {update.message.text}")


async def on_init(_app: Application) -> None:
    print("ready", flush=True)


def main() -> None:
    app = Application.builder().token(os.environ["BOT_TOKEN"]).base_url(os.environ["TELEGRAM_API_ROOT"] + "/bot").base_file_url(os.environ["TELEGRAM_API_ROOT"] + "/file/bot").build()
    app.post_init = on_init
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(drop_pending_updates=DROP_PENDING)
    print("stopped", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    main()
