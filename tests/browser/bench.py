"""Speed of the viewer on a large run folder, in headless Chromium: time to the first drawn list after opening the
page (from navigation start), and time for a filter to answer (from the control's change to the redrawn list,
after the next frame). Prints the figures; BENCHMARKS.md records them. Not a test: nothing is asserted on time.

    python3 tests/browser/bench.py --run RUN_DIR [--repeat 5]
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402
from check import wait_ready  # noqa: E402

FILTER = """(async (selector, value) => {
  const ready = () => new Promise((resolve) => {
    const o = new MutationObserver(() => { if (document.body.dataset.state === 'ready') { o.disconnect(); resolve(); } });
    o.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
  });
  const s = document.querySelector(selector);
  const done = ready();
  const t0 = performance.now();
  s.value = value;
  s.dispatchEvent(new Event('change'));
  await done;
  await new Promise((r) => requestAnimationFrame(() => r()));
  return [performance.now() - t0, Number(document.getElementById('count').dataset.count)];
})"""

FILTERS = [("outcome", "abandoned"), ("review.keep", "0"), ("language", "en-es"), ("persona.gender", "female")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    page = "file://" + os.path.join(os.path.abspath(args.run), "viewer", "index.html")
    size = sum(os.path.getsize(os.path.join(args.run, "viewer", "data", f))
               for f in os.listdir(os.path.join(args.run, "viewer", "data")))
    index_size = os.path.getsize(os.path.join(args.run, "viewer", "data", "index.js"))
    opens, filters, clears, searches = [], [], [], []
    with Browser(width=1280, height=800, timeout=120) as b:
        for _ in range(args.repeat):
            b.navigate("about:blank")
            time.sleep(0.2)
            b.navigate(page + "#list")
            wait_ready(b, timeout=60)
            opens.append(b.evaluate("window.MUSEGEN_VIEW_TIMES.firstList"))
            count = b.evaluate("Number(document.getElementById('count').dataset.count)")
            for key, value in FILTERS:
                selector = json.dumps(f'select[data-key="{key}"]')
                ms, n = b.evaluate(f"({FILTER})({selector}, {json.dumps(value)})")
                filters.append(ms)
                ms, _ = b.evaluate(f"({FILTER})({selector}, '')")
                clears.append(ms)
        ms, _ = b.evaluate(f"({FILTER})('#search', 'sneakers')", timeout=300)
        searches.append(ms)
    print(json.dumps({
        "conversations": count,
        "data_mb": round(size / 1e6, 1),
        "index_mb": round(index_size / 1e6, 1),
        "open_ms": {"median": round(statistics.median(opens)), "max": round(max(opens)), "n": len(opens)},
        "filter_ms": {"median": round(statistics.median(filters)), "max": round(max(filters)), "n": len(filters)},
        "clear_ms": {"median": round(statistics.median(clears)), "max": round(max(clears)), "n": len(clears)},
        "first_search_ms": round(searches[0]),
    }, indent=1))


if __name__ == "__main__":
    sys.exit(main())
