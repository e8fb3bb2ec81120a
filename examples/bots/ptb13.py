# Echo bot, python-telegram-bot 13 (run with /usr/bin/python3): replies "echo: <text>"; BOT_TOKEN,
# TELEGRAM_API_ROOT (optional), POLL_TIMEOUT_S (default 10). Prints "ready" once polling started;
# idle() handles SIGTERM/SIGINT (waits for the in-flight poll), exit 0.
import os
import sys
from urllib.parse import urlparse

from telegram.ext import Filters, MessageHandler, Updater

token = os.environ.get("BOT_TOKEN")
if not token:
    print("ptb13 echo: BOT_TOKEN is not set", file=sys.stderr)
    sys.exit(2)
root = os.environ.get("TELEGRAM_API_ROOT", "https://api.telegram.org").rstrip("/")
if urlparse(root).hostname in ("127.0.0.1", "localhost", "::1"):
    # PTB takes a proxy from these variables; a local API root must not go through one.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(name, None)


def echo(update, context):
    update.message.reply_text(f"echo: {update.message.text}")


updater = Updater(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
updater.dispatcher.add_handler(MessageHandler(Filters.text, echo))
# getMe (no retry: a 401 or an unreachable API raises here, exit 1), then deleteWebhook and polling.
updater.start_polling(timeout=int(os.environ.get("POLL_TIMEOUT_S", "10")))
print("ready", flush=True)
updater.idle()
print("stopped", flush=True)
