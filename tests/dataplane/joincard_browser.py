"""Run inside a client's network namespace: headless Chromium opens the admin page on the LAN
over HTTPS, logs in and reads the hotspot tab's join card. Prints one JSON object.

    python -m tests.dataplane.joincard_browser URL PASSWORD
"""

from __future__ import annotations

import json
import sys

from tests.webdriver import Browser


def main(url: str, password: str) -> None:
    b = Browser(insecure_certs=True)
    try:
        b.get(f"{url}/#hotspot")
        b.wait(lambda: b.visible("#login") or b.visible("#dashboard"), timeout=60)
        if b.visible("#login"):
            b.type("#password", password)
            b.click("#login button[type=submit]")
        b.wait(lambda: b.visible("#dashboard"), timeout=60)
        b.click("#tabs button[data-tab=hotspot]")
        b.wait(lambda: b.visible("#qr-admin"), timeout=60)
        card = b.text("#qr-card")
        print(
            json.dumps(
                {"card": card, "errors": [m for m in b.console() if m.get("level") == "SEVERE"]}
            )
        )
    finally:
        b.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
