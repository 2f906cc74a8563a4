"""The real-server check: musegen against llama.cpp's own HTTP server (the xllamacpp wheel) and a tiny random model.

    python check.py --bin target/debug/musegen --work DIR [--only NAME[,NAME]]

Each scenario starts what it needs, runs the musegen binary in DIR/NAME, and asserts on what musegen wrote *and* on
what the server reports: its Prometheus counters (/metrics: prompt tokens processed and reused from the cache,
tokens predicted) and its log (a line per task it starts, one per request refused for its key, one per prompt too
long for its context). Scenarios: main (50 conversations, every role on the model), replay (after main), stream,
anthropic, anthropic_structured, wrong_key, overflow, length. Prints one line per scenario and a closing `N passed, N failed`.
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = ["main", "replay", "stream", "anthropic", "anthropic_structured", "wrong_key", "overflow", "length"]


class Failed(Exception):
    """An assertion of a scenario did not hold."""


def check(cond, what):
    if not cond:
        raise Failed(what)


class Server:
    """llama.cpp's server in a child process (serve.py), with its log in a file."""

    def __init__(self, args, name, ctx=8192, parallel=4, key_env=None):
        self.log = args.work / f"{name}.server.log"
        ready = args.work / f"{name}.url"
        ready.unlink(missing_ok=True)
        cmd = [sys.executable, str(HERE / "serve.py"), "--model", str(args.model), "--ready", str(ready),
               "--ctx", str(ctx), "--parallel", str(parallel), "--threads", str(args.threads)]
        if key_env:
            cmd += ["--api-key-env", key_env]
        self.key = os.environ.get(key_env) if key_env else None
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"))
        deadline = time.monotonic() + 90
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failed(f"the server did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        self.url = ready.read_text().strip()

    def metrics(self):
        """The server's counters: prompt tokens processed, reused from the cache, and predicted."""
        req = urllib.request.Request(self.url + "/metrics")
        if self.key:
            req.add_header("Authorization", f"Bearer {self.key}")
        text = urllib.request.urlopen(req, timeout=10).read().decode()
        values = {}
        for line in text.splitlines():
            m = re.match(r"^llamacpp:(\w+) ([0-9.e+]+)$", line)
            if m:
                values[m.group(1)] = float(m.group(2))
        return {
            "prompt": int(values["prompt_tokens_total"] + values["prompt_tokens_cached_total"]),
            "completion": int(values["tokens_predicted_total"]),
        }

    def count(self, pattern):
        """Lines of the server's log matching `pattern`."""
        rx = re.compile(pattern)
        return sum(1 for line in self.log.read_text(errors="replace").splitlines() if rx.search(line))

    def tasks(self):
        """Completion tasks the server started (one per request that reached the model)."""
        return self.count(r"launch_slot_: .* processing task")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def musegen(args, folder, argv, env):
    """Run the binary in `folder`; returns (exit code, stdout, stderr)."""
    folder.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")}
    full_env.update(env)
    out = subprocess.run([str(args.bin), *argv], cwd=folder, env=full_env, capture_output=True, text=True,
                         timeout=600)
    with open(folder / "musegen.log", "a") as log:
        log.write(f"$ musegen {' '.join(argv)}\n--- exit {out.returncode}\n"
                  f"--- stdout\n{out.stdout}\n--- stderr\n{out.stderr}\n")
    return out.returncode, out.stdout, out.stderr


def openai_env(server, key="none"):
    return {"OPENAI_BASE_URL": server.url + "/v1", "OPENAI_API_KEY": key}


def anthropic_env(server, key="none"):
    return {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": key}


def usage(folder, reports=()):
    """musegen's ledger over every usage file of a run folder, plus the usage of `reports` (the export reports,
    whose requests have no usage file): requests, prompt and completion tokens."""
    total = {"requests": 0, "cached": 0, "retries": 0, "failures": 0, "prompt": 0, "completion": 0}
    for u in reports:
        for k in ("requests", "cached", "retries", "failures"):
            total[k] += u[k]
        total["prompt"] += u["prompt_tokens"]
        total["completion"] += u["completion_tokens"]
    for path in sorted(folder.glob("*usage.csv")) + sorted(folder.glob("*/*usage.csv")):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                for k in ("requests", "cached", "retries", "failures"):
                    total[k] += int(row[k])
                total["prompt"] += int(row["prompt_tokens"])
                total["completion"] += int(row["completion_tokens"])
    return total


def jsonl(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def config(name):
    return str(HERE / name)


def delta(after, before):
    return {k: after[k] - before[k] for k in after}


def assert_tokens(server_used, ledger, what):
    """musegen's token totals equal the server's own counts. musegen's prompt tokens are the whole prompt, the
    part the server reused from its cache included (OpenAI's `prompt_tokens`; on Anthropic's API `input_tokens`
    leaves out `cache_read_input_tokens`, which must be added)."""
    check(ledger["prompt"] == server_used["prompt"] and ledger["completion"] == server_used["completion"],
          f"{what}: musegen counted {ledger['prompt']} prompt + {ledger['completion']} completion tokens, the "
          f"server {server_used['prompt']} + {server_used['completion']} (prompt = processed + cached)")


# --- scenarios ---------------------------------------------------------------------------------------------------

def scenario_main(args, servers):
    """50 conversations, every role on the model over the OpenAI API: phrasing, deciding, scenario writer, judge
    with a keep rule, preference pairs from the judge. No failure; musegen's tokens are the server's."""
    server = servers.shared(args)
    before, tasks_before = server.metrics(), server.tasks()
    folder = args.work / "main"
    code, out, err = musegen(args, folder, ["run", "--config", config("main.toml"), "--out", "out", "--json"],
                             openai_env(server))
    o = folder / "out"
    # A failed run names its failure records (why each conversation failed), not only the progress lines.
    why = [f.get("message") for f in jsonl(o / "failures.jsonl") + jsonl(o / "profiles.failures.jsonl")]
    check(code == 0, f"musegen run exited {code}: {err.strip()[-1500:]} failures: {why[:5]}")
    manifest = json.loads(out)
    conversations = jsonl(o / "conversations.jsonl")
    check(len(conversations) == 50, f"{len(conversations)} conversations written, not 50")
    failures = jsonl(o / "failures.jsonl") + jsonl(o / "profiles.failures.jsonl")
    check(not failures, f"{len(failures)} failure records: {failures[:3]}")
    reviews = jsonl(o / "reviews.jsonl")
    check(len(reviews) == 50, f"{len(reviews)} reviews")
    # The judge's scores are on the rubric's scale (the schema's bounds, enforced by the server's grammar), and the
    # keep rule over them (main.toml: total >= 3) picks exactly the conversations it should.
    scores = {r["id"]: r["judge"]["muse_filter"] for r in reviews}
    check(all(j["samples"] == 1 and all(0 <= a["score"] <= 2 for a in j["aspects"].values())
              for j in scores.values()), "a judge score missing or off the 0-2 scale")
    kept = jsonl(o / "kept.jsonl")
    want = {i for i, j in scores.items() if j["total"] >= 3}
    check({c["id"] for c in kept} == want, f"kept {len(kept)}, the rule on the judge's totals says {len(want)}")
    profiles = jsonl(o / "profiles.jsonl")
    check(all(p["scenario"].get("written_by") for p in profiles), "a profile the scenario writer did not write")
    # Preference pairs ranked by the judge, as `export dpo --source judge` makes them (the run made them too).
    code, out2, err2 = musegen(args, folder, ["export", "dpo", "--config", config("main.toml"), "--source", "judge",
                                              "--in", "out", "--out", "dpo-judge", "--json"], openai_env(server))
    check(code == 0, f"export dpo --source judge exited {code}: {err2.strip()[-800:]}")
    pairs = sum(len(jsonl(p)) for p in (folder / "dpo-judge" / "dpo").glob("meta_*.jsonl"))
    check(pairs > 0, f"no preference pair from the judge: {json.loads(out2).get('counts')}")
    used = delta(server.metrics(), before)
    # The run's pairs stage keeps its ledger in out/pairs.usage.csv (read with the other ledgers; the manifest's
    # `export.dpo.usage` is the same figures); the judge pairs made in dpo-judge/ are counted from the export's report.
    exports = [r["usage"] for r in (json.loads(out2),) if r.get("usage")]
    ledger = usage(o, exports)
    sent = server.tasks() - tasks_before
    check(ledger["requests"] == sent, f"musegen counted {ledger['requests']} requests, the server started {sent}")
    assert_tokens(used, ledger, "main run")
    return (f"50 conversations, {len(kept)} kept, {pairs} judge pairs; {sent} requests, "
            f"{ledger['prompt']} prompt + {ledger['completion']} completion tokens, equal to the server's")


def scenario_replay(args, servers):
    """The main run again from its cache, in a fresh folder: the same files, and not one request sent."""
    server = servers.shared(args)
    main = args.work / "main" / "out"
    check((main / "cache.db").exists(), "no main run to replay (run `main` first)")
    folder = args.work / "replay"
    (folder / "out").mkdir(parents=True, exist_ok=True)
    (folder / "out" / "cache.db").write_bytes((main / "cache.db").read_bytes())
    before, tasks_before = server.metrics(), server.tasks()
    code, out, err = musegen(args, folder, ["run", "--config", config("main.toml"), "--out", "out"],
                             openai_env(server))
    check(code == 0, f"musegen run exited {code}: {err.strip()[-1500:]}")
    sent = server.tasks() - tasks_before
    check(sent == 0, f"the replay sent {sent} requests")
    check(delta(server.metrics(), before) == {"prompt": 0, "completion": 0}, "the server's counters moved")
    def turns(path):
        # A model's conversations are written as they complete: the same set, in any order.
        return sorted((c["id"], c["outcome"], json.dumps(c["turns"], sort_keys=True)) for c in jsonl(path))
    check(turns(folder / "out" / "conversations.jsonl") == turns(main / "conversations.jsonl"),
          "the replayed conversations differ from the main run's")
    replayed = usage(folder / "out")
    check(replayed["requests"] == 0 and replayed["cached"] > 0, f"the replay's ledger: {replayed}")
    return f"0 requests, 0 tokens on the server; the same turns, {replayed['cached']} answers from the cache"


def scenario_stream(args, servers):
    """5 conversations with every phrasing role streaming."""
    server = servers.shared(args)
    before, tasks_before = server.metrics(), server.tasks()
    folder = args.work / "stream"
    code, out, err = musegen(args, folder, ["run", "--config", config("phrasing.toml"), "--out", "out",
                                            "--set", "roles.user_agent.stream=true",
                                            "--set", "roles.system_agent.stream=true"], openai_env(server))
    check(code == 0, f"musegen run exited {code}: {err.strip()[-1500:]}")
    o = folder / "out"
    check(len(jsonl(o / "conversations.jsonl")) == 5, "not 5 conversations")
    check(not jsonl(o / "failures.jsonl"), "failure records")
    ledger = usage(o)
    sent = server.tasks() - tasks_before
    check(ledger["requests"] == sent, f"musegen sent {ledger['requests']} requests, the server started {sent}")
    assert_tokens(delta(server.metrics(), before), ledger, "streaming")
    return f"5 conversations, {sent} streamed requests, tokens equal to the server's"


def scenario_anthropic(args, servers):
    """5 conversations phrased over the Anthropic API."""
    server = servers.shared(args)
    before, tasks_before = server.metrics(), server.tasks()
    folder = args.work / "anthropic"
    sets = ["--set", "roles.user_agent.backend=anthropic", "--set", "roles.system_agent.backend=anthropic"]
    code, out, err = musegen(args, folder, ["run", "--config", config("phrasing.toml"), "--out", "out", *sets],
                             anthropic_env(server))
    check(code == 0, f"phrasing over Anthropic exited {code}: {err.strip()[-1500:]}")
    o = folder / "out"
    check(len(jsonl(o / "conversations.jsonl")) == 5, "not 5 conversations")
    ledger = usage(o)
    sent = server.tasks() - tasks_before
    check(ledger["requests"] == sent, f"musegen sent {ledger['requests']} requests, the server started {sent}")
    assert_tokens(delta(server.metrics(), before), ledger, "Anthropic phrasing")
    return f"5 conversations, {sent} requests, tokens equal to the server's"


def scenario_anthropic_structured(args, servers):
    """5 conversations over the Anthropic API with the recommender's structured retrieval chain, which llama.cpp's
    /v1/messages does not constrain, so each structured answer is noise: re-asked once, then one failure record
    per conversation, and the run goes on."""
    server = servers.shared(args)
    sets = ["--set", "roles.user_agent.backend=anthropic", "--set", "roles.system_agent.backend=anthropic"]
    before, tasks_before = server.metrics(), server.tasks()
    folder = args.work / "anthropic-structured"
    code, out, err = musegen(args, folder, ["run", "--config", config("phrasing.toml"), "--out", "out", *sets,
                                            "--set", "roles.system_agent.decide=llm"], anthropic_env(server))
    o = folder / "out"
    failures = jsonl(o / "failures.jsonl")
    written = jsonl(o / "conversations.jsonl")
    check(code == 1, f"exit {code}, not 1 (failed conversations): {err.strip()[-800:]}")
    check(len(failures) + len(written) == 5 and failures, f"{len(failures)} failures, {len(written)} written")
    check(all("after a re-ask" in f["message"] for f in failures), f"a failure not after a re-ask: {failures}")
    ledger = usage(o)
    sent = server.tasks() - tasks_before
    check(ledger["requests"] == sent, f"musegen sent {ledger['requests']} requests, the server started {sent}")
    assert_tokens(delta(server.metrics(), before), ledger, "Anthropic structured")
    return f"{len(failures)} failure records after one re-ask each, {len(written)} written, {sent} requests"


def scenario_wrong_key(args, servers):
    """A server that wants a key, given the wrong one: exit 2 with one clear line, no more requests than were in
    flight, nothing marked failed, and the key never shown."""
    os.environ["REAL_SERVER_KEY"] = "right-key-0f9a8b7c"
    server = Server(args, "wrong_key", key_env="REAL_SERVER_KEY")
    try:
        folder = args.work / "wrong_key"
        wrong = "wrong-key-5e4d3c2b1a"
        code, out, err = musegen(args, folder, ["run", "--config", config("main.toml"), "--out", "out", "-q"],
                                 openai_env(server, wrong))
        lines = [l for l in err.splitlines() if l.strip()]
        check(code == 2, f"exit {code}, not 2: {err.strip()[-800:]}")
        check(len(lines) == 1 and "401" in lines[0], f"not one line naming the 401: {lines}")
        check(wrong not in out + err, "the key was shown")
        refused = server.count(r"unauthorized: Invalid API Key")
        concurrency = 4
        check(1 <= refused <= concurrency, f"the server refused {refused} requests (concurrency {concurrency})")
        check(server.tasks() == 0, "a request reached the model")
        o = folder / "out"
        failures = jsonl(o / "failures.jsonl") + jsonl(o / "profiles.failures.jsonl")
        check(not failures, f"{len(failures)} records marked failed")
        return f"exit 2 in one line; the server refused {refused} requests; nothing marked failed"
    finally:
        server.stop()


def scenario_overflow(args, servers):
    """One profile whose prompt exceeds the server's context: one failure record naming its conversation, and the
    run goes on."""
    server = Server(args, "overflow", ctx=3072, parallel=2)
    try:
        folder = args.work / "overflow"
        env = openai_env(server)
        base = ["--config", config("phrasing.toml"), "--out", "out"]
        code, out, err = musegen(args, folder, ["catalog", "sample", *base], env)
        check(code == 0, f"catalog sample exited {code}: {err[-500:]}")
        code, out, err = musegen(args, folder, ["profiles", *base], env)
        check(code == 0, f"profiles exited {code}: {err[-500:]}")
        path = folder / "out" / "profiles.jsonl"
        profiles = jsonl(path)
        long = profiles[2]
        long["scenario"]["narrative"] = " ".join(f"On day {i} the story of the trip goes on." for i in range(600))
        path.write_text("".join(json.dumps(p) + "\n" for p in profiles))
        code, out, err = musegen(args, folder, ["generate", *base], env)
        check(code == 1, f"exit {code}, not 1 (one failed conversation): {err.strip()[-800:]}")
        o = folder / "out"
        failures = jsonl(o / "failures.jsonl")
        written = jsonl(o / "conversations.jsonl")
        check(len(failures) == 1, f"{len(failures)} failure records, not 1: {failures}")
        check(failures[0]["profile_id"] == long["id"], f"the failure is not the long profile's: {failures[0]}")
        check("context" in failures[0]["message"], f"the failure does not say why: {failures[0]}")
        check(len(written) == len(profiles) - 1, f"{len(written)} written of {len(profiles)}")
        overflows = server.count(r"exceeds the available context size")
        check(overflows >= 1, "the server's log has no prompt over its context")
        return f"1 failure record ({failures[0]['id']}: context), {len(written)} conversations written"
    finally:
        server.stop()


def scenario_length(args, servers):
    """A length budget too small for the scenario writer's structured answer, with the cap below the answer's
    size: one failure record per profile, and exactly the configured attempts (16, then 32 tokens) per profile."""
    server = servers.shared(args)
    tasks_before = server.tasks()
    folder = args.work / "length"
    code, out, err = musegen(args, folder, ["catalog", "sample", "--config", config("phrasing.toml"), "--out", "out"],
                             {})
    check(code == 0, f"catalog sample exited {code}: {err[-500:]}")
    code, out, err = musegen(args, folder, ["profiles", "--config", config("phrasing.toml"), "--out", "out",
                                            "--set", "roles.scenario_writer.agent=llm",
                                            "--set", "roles.scenario_writer.max_tokens=16",
                                            "--set", "limits.max_tokens_cap=32"], openai_env(server))
    o = folder / "out"
    failures = jsonl(o / "profiles.failures.jsonl")
    check(code == 1, f"exit {code}, not 1: {err.strip()[-800:]}")
    check(len(failures) == 5, f"{len(failures)} failure records, not 5")
    sent = server.tasks() - tasks_before
    check(sent == 2 * 5, f"the server started {sent} tasks, not 2 per profile (16 then 32 tokens)")
    return f"5 failure records, {sent} requests (two budgets each)"


class Shared:
    """The server most scenarios share (started on first use)."""

    def __init__(self):
        self.server = None

    def shared(self, args):
        if self.server is None:
            self.server = Server(args, "shared")
        return self.server

    def stop(self):
        if self.server is not None:
            self.server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default=",".join(SCENARIOS))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.bin = args.bin.resolve()
    args.work = args.work.resolve()
    if args.model is None:
        args.model = args.work / "tiny.gguf"
        subprocess.run([sys.executable, str(HERE / "make_model.py"), str(args.model)], check=True)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    passed, failed = 0, 0
    servers = Shared()
    try:
        for name in wanted:
            start = time.monotonic()
            try:
                what = globals()[f"scenario_{name}"](args, servers)
                passed += 1
                print(f"real-server: {name}: ok in {time.monotonic() - start:.0f} s: {what}", flush=True)
            except (Failed, subprocess.TimeoutExpired) as e:
                failed += 1
                print(f"real-server: {name}: FAILED in {time.monotonic() - start:.0f} s: {e}", flush=True)
    finally:
        servers.stop()
    print(f"real-server: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
