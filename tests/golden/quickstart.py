#!/usr/bin/env python3
"""The quickstart's run folder, byte for byte: run `musegen run --config examples/quickstart.toml` into a scratch
folder, mask what may change between runs (timing fields, the scratch folder's absolute path) and compare every
file with the digests in `tests/golden/quickstart.sha256`.

    python3 tests/golden/quickstart.py                       # check target/debug/musegen against the digests
    python3 tests/golden/quickstart.py --bin PATH            # check another binary
    python3 tests/golden/quickstart.py --write               # record the digests (after a deliberate change)
    python3 tests/golden/quickstart.py --against OLD_BIN     # compare two binaries' folders file by file, with diffs

A structural change must leave every file as it was: a difference is a failure that names the file (and, with
--against, shows the first differing lines). Only the standard library is used.
"""

import argparse
import difflib
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIGESTS = ROOT / "tests" / "golden" / "quickstart.sha256"
CONFIG = ROOT / "examples" / "quickstart.toml"

# Fields that time a step: their values differ on every run.
TIMING = re.compile(rb'("(?:seconds|per_second|elapsed_seconds|ttft_seconds)"\s*:\s*)-?[0-9][0-9.eE+-]*')
# Files the run folder may hold that are not output (the writer's lock is removed when the run ends).
IGNORED = {".musegen.lock"}


def run(binary: Path, out: Path) -> None:
    env = dict(os.environ)
    env.pop("OPENAI_API_KEY", None)
    env.pop("ANTHROPIC_API_KEY", None)
    proc = subprocess.run(
        [str(binary), "--quiet", "run", "--config", str(CONFIG), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit(f"{binary} run failed with exit code {proc.returncode}")


def masked(path: Path, out: Path) -> bytes:
    data = path.read_bytes()
    data = data.replace(str(out).encode(), b"<OUT>")
    return TIMING.sub(rb"\g<1>0", data)


def folder(out: Path) -> dict:
    files = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and rel not in IGNORED:
            files[rel] = masked(p, out)
    return files


def digests(files: dict) -> dict:
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


def read_digests() -> dict:
    table = {}
    for n, line in enumerate(DIGESTS.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            sys.exit(f"{DIGESTS}:{n}: expected `sha256  path`")
        table[parts[1]] = parts[0]
    return table


def compare(expected: dict, actual: dict) -> list:
    problems = []
    for rel in sorted(expected.keys() - actual.keys()):
        problems.append(f"missing: {rel}")
    for rel in sorted(actual.keys() - expected.keys()):
        problems.append(f"new: {rel}")
    for rel in sorted(expected.keys() & actual.keys()):
        if expected[rel] != actual[rel]:
            problems.append(f"changed: {rel}")
    return problems


def show_diff(rel: str, old: bytes, new: bytes) -> None:
    try:
        a, b = old.decode().splitlines(), new.decode().splitlines()
    except UnicodeDecodeError:
        print(f"  {rel}: binary, {len(old)} → {len(new)} bytes")
        return
    lines = list(difflib.unified_diff(a, b, f"old/{rel}", f"new/{rel}", n=1, lineterm=""))
    for line in lines[:20]:
        print("  " + line[:200])
    if len(lines) > 20:
        print(f"  … {len(lines) - 20} more diff lines")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "debug" / "musegen")
    ap.add_argument("--write", action="store_true", help="record the digests instead of checking them")
    ap.add_argument("--against", type=Path, help="another binary to compare with, file by file")
    args = ap.parse_args()
    if not args.bin.is_file():
        sys.exit(f"{args.bin}: no such binary (build it with `cargo build`, or pass --bin)")
    with tempfile.TemporaryDirectory(prefix="musegen-golden-") as tmp:
        new_out = Path(tmp) / "new"
        run(args.bin, new_out)
        new = folder(new_out)
        if args.against:
            old_out = Path(tmp) / "old"
            run(args.against, old_out)
            old = folder(old_out)
            problems = compare(digests(old), digests(new))
            for p in problems:
                print(p)
                kind, rel = p.split(": ", 1)
                if kind == "changed":
                    show_diff(rel, old[rel], new[rel])
            print(f"{len(new)} files, {len(problems)} differences against {args.against}")
            return 1 if problems else 0
        if args.write:
            body = "".join(f"{h}  {rel}\n" for rel, h in digests(new).items())
            DIGESTS.write_text(
                "# The quickstart's run folder, masked (tests/golden/quickstart.py --write records it).\n" + body
            )
            print(f"wrote {len(new)} digests to {DIGESTS.relative_to(ROOT)}")
            return 0
        problems = compare(read_digests(), digests(new))
        for p in problems:
            print(p)
        if problems:
            print(
                f"{len(problems)} of {len(new)} files differ from {DIGESTS.relative_to(ROOT)}: "
                "compare with an older binary with --against, or record a deliberate change with --write"
            )
            return 1
        print(f"quickstart run folder: {len(new)} files as recorded")
        return 0


if __name__ == "__main__":
    sys.exit(main())
