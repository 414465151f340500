"""Delivery of plan warnings to a webhook (JSON POST) and to ntfy, off the ledger's path.

The notifier is its own supervised component fed by the event bus (a non-blocking publish), so
a slow or dead receiver delays only further notifications, never counting or enforcement. Each
delivery has a timeout and a few retries with doubling backoff; client errors (4xx other than 408
and 429) are not retried. URLs are never logged: an ntfy topic is as good as a password.
"""

from __future__ import annotations

import asyncio
import logging
from email.header import Header
from typing import TYPE_CHECKING, Any

from simspot.daemon.events import Event, EventBus
from simspot.i18n import CATALOGUE, Lang, Message, event_message, part, render
from simspot.plans.settings import NtfySettings, PlansSettings, WebhookSettings
from simspot.secrets import mask

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

NOTIFY_KINDS = frozenset({"plan.threshold", "plan.limit", "plan.switch-uplink"})


def ntfy_headers(ev: Event, token: str | None, lang: Lang = "en") -> dict[str, str]:
    """Title, Priority and Tags for ntfy (non-ASCII titles as RFC 2047 encoded words)."""
    data = ev.data
    params = {"plan": data.get("plan", "plan"), "percent": data.get("percent")}
    if ev.kind == "plan.threshold":
        title = render("notify.title.threshold", params, lang)
        priority = "high" if int(data.get("percent", 0)) >= 90 else "default"
        tags = "warning"
    elif ev.kind == "plan.limit":
        title = render("notify.title.limit", params, lang)
        priority, tags = "high", "no_entry"
    else:
        title = render("notify.title.switch", params, lang)
        priority, tags = "high", "arrows_counterclockwise"
    try:
        title.encode("ascii")
    except UnicodeEncodeError:
        title = Header(title, "utf-8").encode()
    headers = {"Title": title, "Priority": priority, "Tags": tags}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


class Notifier:
    name = "plans-notify"

    def __init__(
        self,
        bus: EventBus,
        settings: PlansSettings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.bus = bus
        self.settings = settings
        self.transport = transport
        self.delivered = 0
        self.failed = 0

    def enabled(self) -> bool:
        return bool(self.settings.webhook.url or self.settings.ntfy.url)

    async def run(self) -> None:
        queue = self.bus.subscribe()
        http: httpx.AsyncClient | None = None
        try:
            while True:
                ev = await queue.get()
                if ev.kind in NOTIFY_KINDS and self.enabled():
                    if http is None:  # the HTTP client is loaded when first needed (memory)
                        import httpx

                        http = httpx.AsyncClient(transport=self.transport, follow_redirects=False)
                    await self.deliver(http, ev)
        finally:
            self.bus.unsubscribe(queue)
            if http is not None:
                await http.aclose()

    async def close(self) -> None:
        return None

    async def deliver(self, http: httpx.AsyncClient, ev: Event) -> None:
        jobs = []
        hook, ntfy = self.settings.webhook, self.settings.ntfy
        lang = self.settings.notify_language
        msg = event_message(ev.kind, ev.data)
        own = ev.data.get("message_id")
        if isinstance(own, str) and own in CATALOGUE:  # the publisher's own sentence, by id
            msg = Message(own, dict(ev.data.get("message_params") or {}))
            text = msg.text(lang)
        else:  # in English the publisher's own text, if any; else the event's sentence
            text = str(ev.data.get("message") or msg.text()) if lang == "en" else msg.text(lang)
        if hook.url:
            body = {"source": "simspot", "event": ev.kind, "id": ev.id, "ts": ev.ts,
                    "data": mask(ev.data),
                    "message": {"id": msg.id, "lang": lang, "text": text}}  # fmt: skip
            jobs.append(self._post(http, "webhook", hook.url, hook, json=body))
        if ntfy.url:
            jobs.append(
                self._post(
                    http,
                    "ntfy",
                    ntfy.url,
                    ntfy,
                    content=text.encode(),
                    headers=ntfy_headers(ev, ntfy.token, lang),
                )
            )
        await asyncio.gather(*jobs)

    async def _post(
        self,
        http: httpx.AsyncClient,
        what: str,
        url: str,
        conf: WebhookSettings | NtfySettings,
        **kwargs: Any,
    ) -> bool:
        import httpx

        delay = conf.backoff_s
        error = ""
        said: dict[str, Any] | None = None
        for attempt in range(conf.retries + 1):
            try:
                resp = await http.post(url, timeout=conf.timeout_s, **kwargs)
                if resp.status_code < 300:
                    self.delivered += 1
                    return True
                said = part("notify.http-status", status=resp.status_code)
                error = render(said["id"], said["params"])
                if 400 <= resp.status_code < 500 and resp.status_code not in (408, 429):
                    break
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                said = None  # the HTTP library's own words
            if attempt < conf.retries:
                await asyncio.sleep(delay)
                delay *= 2
        self.failed += 1
        log.warning(
            "notification not delivered", extra={"to": what, "error": error, "tries": attempt + 1}
        )
        self.bus.publish("notify.failed", {"to": what, "error": error, "error_said": said})
        return False
