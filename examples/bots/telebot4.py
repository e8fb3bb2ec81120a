# Echo bot, pyTelegramBotAPI 4 (`bot.infinity_polling`): replies "echo: <text>". Run it with the venv of
# requirements.txt:  BOT_TOKEN=… botwarden run -- .venv-bots/bin/python examples/bots/telebot4.py
# BOT_TOKEN and TELEGRAM_API_ROOT (botwarden sets it; https://api.telegram.org without botwarden) are required.
# HANDLER_DELAY_MS: each handler sleeps this long first (default 0). DROP_PENDING=1:
# `infinity_polling(skip_pending=True)`. Prints "ready" just before polling starts. pyTelegramBotAPI's own defaults
# are kept: handlers run in its worker threads, SIGTERM ends the process at once.
import logging
import os
import sys
import time
from urllib.parse import urlparse

import telebot

for name in ("BOT_TOKEN", "TELEGRAM_API_ROOT"):
    if not os.environ.get(name):
        print(f"telebot echo: {name} is not set", file=sys.stderr)
        sys.exit(2)
if urlparse(os.environ["TELEGRAM_API_ROOT"]).hostname in ("127.0.0.1", "localhost", "::1"):
    # requests takes a proxy from these variables; a local API root (botwarden's gateway) must not go through one.
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(proxy, None)
DELAY_S = int(os.environ.get("HANDLER_DELAY_MS", "0")) / 1000
DROP_PENDING = os.environ.get("DROP_PENDING") == "1"

telebot.apihelper.API_URL = os.environ["TELEGRAM_API_ROOT"] + "/bot{0}/{1}"
telebot.apihelper.FILE_URL = os.environ["TELEGRAM_API_ROOT"] + "/file/bot{0}/{1}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])


@bot.message_handler(content_types=["text"])
def echo(message: telebot.types.Message) -> None:
    if DELAY_S:
        time.sleep(DELAY_S)
    bot.send_message(message.chat.id, f"echo: {message.text}")


if __name__ == "__main__":
    telebot.logger.setLevel(logging.INFO)
    print("ready", flush=True)
    bot.infinity_polling(skip_pending=DROP_PENDING)
    print("stopped", flush=True)
