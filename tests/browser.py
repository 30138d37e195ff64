"""Open a page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) and
say what is wrong with it: console errors, uncaught exceptions, failed requests, images that
did not decode, plots that draw nothing, audio that cannot play. Saves a screenshot.

    python -m tests.browser PAGE.html SCREENSHOT.png [WIDTH]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CHROMIUM = Path(os.environ.get("GENAUTOML_CHROMIUM", "/usr/bin/chromium"))
#: the flags that keep Chromium off the network and quiet on a machine with none
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
#: the longest one audio element may take to read its header (a cap, not a wait: the check
#: returns as soon as the element says it is ready or broken)
AUDIO_CAP_MS = 10_000

_CHECK_PAGE = """
async (capMs) => {
  const problems = [];
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) problems.push(`image did not decode: ${img.alt}`);
  }
  for (const img of document.querySelectorAll('img.plot')) {
    if (!(Number(img.dataset.points) > 0)) problems.push(`empty plot: ${img.alt}`);
  }
  for (const audio of document.querySelectorAll('audio')) {
    if (audio.readyState < 1 && !audio.error) {
      await new Promise(done => {
        audio.addEventListener('loadedmetadata', done, {once: true});
        audio.addEventListener('error', done, {once: true});
        setTimeout(done, capMs);
      });
    }
    const type = audio.src.slice(5, audio.src.indexOf(';'));
    if (audio.error || !(audio.duration > 0) || audio.canPlayType(type) === '') {
      problems.push(`audio cannot play (${type}): error ${audio.error && audio.error.code}, duration ${audio.duration}`);
    }
  }
  return {problems, sections: [...document.querySelectorAll('h2')].map(h => h.textContent),
          width: document.documentElement.scrollWidth};
}
"""


def check_page(page: Path, screenshot: Path, width: int = 1280) -> dict:
    """{"problems": [...], "sections": [h2 titles], "width": the page's scroll width}."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            tab.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
            tab.on("requestfailed", lambda r: problems.append(f"request failed: {r.url[:80]}"))
            tab.goto(Path(page).resolve().as_uri(), wait_until="load")
            found = tab.evaluate(_CHECK_PAGE, AUDIO_CAP_MS)
            tab.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {**found, "problems": problems + found["problems"]}


if __name__ == "__main__":
    result = check_page(Path(sys.argv[1]), Path(sys.argv[2]), *(int(a) for a in sys.argv[3:4]))
    print("\n".join(result["problems"]) or "no problems", "| sections:", ", ".join(result["sections"]))
