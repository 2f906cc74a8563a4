"""The viewer in a real browser: `musegen view` output of a quickstart run, and of imported conversations holding
markup, driven in headless Chromium. Asserts that the list shows the run's conversations, a filter and a search
narrow it to the right rows, every conversation opens with all its turns, a pair shows both replies, and imported
`<script>` / `<img onerror>` run nothing; saves screenshots of the main views.

    python3 tests/browser/check.py --run RUN_DIR --imported IMPORTED_DIR [--shots docs]
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

PASSED = []
FAILED = []


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_ready(b, timeout=30.0):
    """Poll the page until the viewer says it is ready (or failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = b.evaluate("document.body ? document.body.dataset.state : 'none'")
        except RuntimeError:
            state = None
        if state == "ready":
            return
        if state == "error":
            raise RuntimeError("viewer error: " + str(b.evaluate("document.getElementById('main').textContent")))
        time.sleep(0.05)
    raise TimeoutError("the viewer did not get ready")


def go(b, url):
    try:
        b.evaluate("document.body && (document.body.dataset.state = 'stale')")
    except RuntimeError:
        pass
    b.navigate(url)
    wait_ready(b)


def count(b):
    return int(b.evaluate("document.getElementById('count').dataset.count"))


def run_checks(b, run, shots):
    page = "file://" + os.path.join(os.path.abspath(run), "viewer", "index.html")
    convs = jsonl(os.path.join(run, "conversations.jsonl"))
    profiles = {p["id"]: p for p in jsonl(os.path.join(run, "profiles.jsonl"))}

    go(b, page + "#list")
    check("the list shows every conversation of the run", count(b) == len(convs), f"{count(b)} != {len(convs)}")
    rows = b.evaluate("document.querySelectorAll('#rows .row').length")
    check("the list draws rows", rows > 10, str(rows))
    if shots:
        b.screenshot(os.path.join(shots, "view-list.png"))

    # A filter, through the control a person uses.
    abandoned = sum(1 for c in convs if c["outcome"] == "abandoned")
    b.evaluate("""(() => { document.body.dataset.state = 'stale';
        const s = document.querySelector('select[data-key="outcome"]'); s.value = 'abandoned';
        s.dispatchEvent(new Event('change')); })()""")
    wait_ready(b)
    check("a filter narrows the list to the right rows", count(b) == abandoned and 0 < abandoned < len(convs),
          f"{count(b)} shown, {abandoned} abandoned")
    shown = b.evaluate("[...document.querySelectorAll('#rows .row')].map(r => r.firstChild.textContent)")
    want = [c["id"] for c in convs if c["outcome"] == "abandoned"]
    check("the filtered rows are the abandoned conversations", shown == want[:len(shown)], f"{shown[:3]} vs {want[:3]}")

    # A search over the text.
    word = "sneakers"

    def hay(c):
        name = profiles.get(c["profile_id"], {}).get("persona", {}).get("name", "")
        return "\n".join([c["id"], name] + [t["text"] for t in c["turns"]]).lower()
    hits = sum(1 for c in convs if word in hay(c))
    go(b, page + "#list?q=" + word)
    check("a search finds the conversations whose text holds the word", count(b) == hits and 0 < hits < len(convs),
          f"{count(b)} shown, {hits} expected")

    # A click on a row opens the conversation with all its turns.
    go(b, page + "#list")
    b.evaluate("document.body.dataset.state = 'stale'; document.querySelector('#rows .row').click()")
    wait_ready(b)
    turns = b.evaluate("[...document.querySelectorAll('#chat .turn .text')].map(t => t.textContent)")
    check("a click opens the first conversation with all its turns", turns == [t["text"] for t in convs[0]["turns"]],
          f"{len(turns)} turns shown, {len(convs[0]['turns'])} expected")
    cards = b.evaluate("document.querySelectorAll('#chat .card').length")
    check("the recommended items show as cards", cards >= 1, str(cards))
    if shots:
        b.screenshot(os.path.join(shots, "view-conversation.png"))

    # Every conversation is reachable and shows all its turns.
    expected = [len(c["turns"]) for c in convs]
    got = b.evaluate("""(async (expected) => {
        const out = [];
        for (let i = 0; i < expected.length; i++) {
          document.body.dataset.state = 'stale';
          if (location.hash === '#c/' + i) window.MUSEGEN_VIEW.route(); else location.hash = '#c/' + i;
          const deadline = performance.now() + 30000;
          while (document.body.dataset.state !== 'ready') {
            if (document.body.dataset.state === 'error' || performance.now() > deadline) return ['stuck at ' + i + ' in state ' + document.body.dataset.state + ': ' + document.getElementById('main').textContent.slice(0, 200)];
            await new Promise(r => setTimeout(r, 5));
          }
          out.push(document.querySelectorAll('#chat .turn').length);
        }
        return out; })(""" + json.dumps(expected) + ")", timeout=120)
    check(f"all {len(convs)} conversations open with all their turns", got == expected,
          f"first difference at {next((i for i, (a, e) in enumerate(zip(got, expected)) if a != e), None)}: {str(got)[:200]}")

    # A pair shows both replies beside the context.
    meta = jsonl(os.path.join(run, "dpo", "meta_train.jsonl"))
    trl = jsonl(os.path.join(run, "dpo", "trl_train.jsonl"))
    go(b, page + "#pairs?split=train")
    first = b.evaluate("""(() => { const p = document.querySelector('#pairs .pair');
        return {chosen: p.querySelector('.chosen .text').textContent, rejected: p.querySelector('.rejected .text').textContent,
                context: p.querySelectorAll('.context > div').length}; })()""")
    check("a pair shows both replies", first["chosen"] == trl[0]["chosen"][-1]["content"]
          and first["rejected"] == trl[0]["rejected"][-1]["content"] and first["chosen"] != first["rejected"],
          json.dumps(first)[:300])
    check("a pair shows the conversation before it", first["context"] == meta[0]["turn"], str(first["context"]))
    if shots:
        b.screenshot(os.path.join(shots, "view-pairs.png"))

    go(b, page + "#report")
    link = b.evaluate("(() => { const a = [...document.querySelectorAll('#report a')].find(a => a.textContent === 'abandoned');"
                      " return a ? a.getAttribute('href') : null; })()")
    check("the report's outcome figure links to the list", link == "#list?outcome=abandoned", str(link))
    if shots:
        b.screenshot(os.path.join(shots, "view-report.png"))
    go(b, page + (link or "#list"))
    check("the report's link opens the list filtered", count(b) == abandoned, str(count(b)))


def imported_checks(b, folder, shots):
    page = "file://" + os.path.join(os.path.abspath(folder), "viewer", "index.html")
    imported = jsonl(os.path.join(folder, "imported.jsonl"))
    go(b, page + "#list")
    check("the imported conversations are listed", count(b) == len(imported), str(count(b)))
    for i, conv in enumerate(imported):
        go(b, page + f"#c/{i}")
        texts = b.evaluate("[...document.querySelectorAll('#chat .turn .text')].map(t => t.textContent)")
        check(f"imported {conv['id']}: the markup shows as text", texts == [t["text"] for t in conv["turns"]], str(texts)[:300])
    state = b.evaluate("""({pwned: window.__pwned === undefined ? null : window.__pwned, title: document.title,
        scripts: document.querySelectorAll('#main script').length,
        imgs: document.querySelectorAll('#main img[src="x"], #main [onerror], #main svg, #main iframe, #main b').length})""")
    check("imported <script> and <img onerror> ran nothing",
          state == {"pwned": None, "title": "musegen view", "scripts": 0, "imgs": 0}, json.dumps(state))
    meta = b.evaluate("document.querySelector('.side').textContent")
    check("an imported conversation shows its metadata", "import:sharegpt" in meta, meta[:200])
    if shots:
        b.screenshot(os.path.join(shots, "view-imported.png"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--imported", required=True)
    ap.add_argument("--shots", default=None, help="folder for screenshots of the main views")
    args = ap.parse_args()
    if args.shots:
        os.makedirs(args.shots, exist_ok=True)
    with Browser(width=1280, height=760) as b:
        run_checks(b, args.run, args.shots)
        imported_checks(b, args.imported, args.shots)
    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
