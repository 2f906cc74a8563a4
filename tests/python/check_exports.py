#!/usr/bin/env python3
"""Check musegen's exports with the real tools: datasets, transformers/tokenizers, TRL, csv and sqlite3.

    python tests/python/check_exports.py RUN_DIR [RUN_DIR ...] [--require sft,dpo,tables,star,snowflake,storybot,card]
    python tests/python/check_exports.py --self-test

For every RUN_DIR it discovers the export families and checks each file:

  sft/{trl,openai,sharegpt}_{train,validation,test}.jsonl
      loads with datasets.load_dataset("json"); the format's own rules (OpenAI's fine-tuning data checks,
      ShareGPT as LLaMA-Factory and Axolotl read it, TRL's conversational format); then TRL's data path:
      is_conversational, maybe_convert_to_chatml (mapped over the dataset as SFTTrainer does),
      apply_chat_template with a chat template that trl ships, tokenisation with a tokenizer trained here on the
      exported text, and every message's content found in the rendered text (and every assistant message in the
      assistant-only-loss mask).
  dpo/{trl,openai,sharegpt}_{split}.jsonl + dpo/meta_{split}.jsonl
      the same for preference pairs; meta aligned line by line with every format's file.
  vision samples (content-part lists, "images", "<image>") in either family.
  analytics/{chats,messages}.csv, analytics/turns.jsonl; star/ and snowflake/ (schema.sql into SQLite);
  storybot/conversations.json; README.md (the dataset card: YAML configs loaded with datasets).

One line per file; the first failure stops with a message naming the file and row, exit code 1.
A family that is absent is reported as "absent", and is a failure only when --require names it.
Never touches the network: the Hugging Face offline switches are set before anything is imported.
"""

import argparse
import atexit
import csv
import glob
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_var] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# A cache of our own, so nothing is read from (or left in) the user's Hugging Face cache.
_CACHE = tempfile.mkdtemp(prefix="musegen-check-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ["HF_HOME"] = os.path.join(_CACHE, "hf")
os.environ["HF_DATASETS_CACHE"] = os.path.join(_CACHE, "datasets")

import datasets  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
import yaml  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402
from trl.data_utils import (  # noqa: E402
    apply_chat_template,
    is_conversational,
    is_conversational_from_value,
    maybe_convert_to_chatml,
    prepare_multimodal_messages,
)

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()
transformers.logging.set_verbosity_error()

SPLITS = ("train", "validation", "test")
FORMATS = ("trl", "openai", "sharegpt")
FAMILIES = ("sft", "dpo", "tables", "star", "snowflake", "storybot", "card")
HERE = os.path.dirname(os.path.abspath(__file__))

# The chat templates, as trl ships them (trl/chat_templates/*.jinja).
TEXT_TEMPLATE = "qwen2_5_training.jinja"  # ChatML, with {% generation %} marks for assistant-only loss
VISION_TEMPLATE = "qwen2_5_vl.jinja"  # ChatML, renders content-part lists (text, image)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|image_pad|>", "<|vision_end|>"]

STORYBOT_FIELDS = ("message", "ref_conversation_id", "ref_user_id", "transaction_datetime_utc", "screen_name")
SHAREGPT_ROLES = {"system": "system", "human": "user", "gpt": "assistant"}
META_FIELDS = ("pair_id", "conversation_id", "turn", "source", "kind", "margin")


class CheckFailed(Exception):
    pass


def fail(where, msg):
    raise CheckFailed(f"{where}: {msg}")


def rel(run, path):
    return os.path.relpath(path, run)


def report(run, name, rows, checks, status="ok"):
    rows_s = f"{rows} rows" if isinstance(rows, int) else rows
    print(f"  {status:<6} {name:<38} {rows_s:>10}  {', '.join(checks)}", flush=True)


# ---------------------------------------------------------------- reading


def read_jsonl(path):
    """The file's records as written (line numbers from 1), failing on a blank line or broken JSON."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                fail(f"{path} line {n}", "blank line in JSON Lines")
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                fail(f"{path} line {n}", f"not JSON: {e}")
            if not isinstance(rows[-1], dict):
                fail(f"{path} line {n}", "a record must be a JSON object")
    return rows


def load_json_dataset(path, raw_rows):
    try:
        ds = datasets.load_dataset("json", data_files=path, split="train")
    except Exception as e:  # noqa: BLE001 - any loader error is the finding
        fail(path, f"datasets.load_dataset('json') failed: {type(e).__name__}: {e}")
    if len(ds) != len(raw_rows):
        fail(path, f"datasets loaded {len(ds)} rows, the file has {len(raw_rows)} lines")
    return ds


def strings_in(value, out):
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            strings_in(v, out)
    elif isinstance(value, list):
        for v in value:
            strings_in(v, out)


def text_of(content):
    """The text of a message content: the string, or its text parts."""
    if isinstance(content, str):
        return [content]
    return [p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"]


def is_str(v):
    return isinstance(v, str) and v.strip() != ""


# ---------------------------------------------------------------- tokenizer


def build_tokenizer(texts):
    """A byte-level BPE tokenizer trained on the exported text, with ChatML special tokens, as transformers sees one."""
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=4000,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tk.train_from_iterator(texts or ["empty"], trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        clean_up_tokenization_spaces=False,
    )
    templates = os.path.join(os.path.dirname(trl.__file__), "chat_templates")
    with open(os.path.join(templates, TEXT_TEMPLATE), encoding="utf-8") as f:
        text_template = f.read()
    with open(os.path.join(templates, VISION_TEMPLATE), encoding="utf-8") as f:
        vision_template = f.read()
    tok.chat_template = text_template
    return tok, vision_template


def tokenise(where, tok, text):
    ids = tok(text, add_special_tokens=False)["input_ids"]
    if not ids:
        fail(where, "rendered text tokenises to nothing")
    back = tok.decode(ids, skip_special_tokens=False)
    if back != text:
        fail(where, "tokenisation does not round-trip the rendered text")
    starts = ids.count(tok.convert_tokens_to_ids("<|im_start|>"))
    if starts != text.count("<|im_start|>"):
        fail(where, "<|im_start|> is not a single special token")
    return len(ids)


def guarded(where, what, fn, *args, **kwargs):
    """A call into the tools; an exception they raise on the sample is the finding."""
    try:
        return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except Exception as e:  # noqa: BLE001
        fail(where, f"{what} failed: {type(e).__name__}: {e}")


def assert_in(where, what, needle, hay):
    if needle not in hay:
        fail(where, f"{what} {needle[:80]!r} is not in the rendered text")


# ---------------------------------------------------------------- format rules


def check_roles_alternate(where, roles, first, second, allow_system=True):
    i = 1 if allow_system and roles and roles[0] == "system" else 0
    body = roles[i:]
    if "system" in body:
        fail(where, "a system message after the start")
    for k, r in enumerate(body):
        want = first if k % 2 == 0 else second
        if r != want:
            fail(where, f"message {i + k + 1} is {r!r}, expected {want!r} (roles must alternate from {first!r})")
    return body


OPENAI_PART_KEYS = {"text": {"type", "text"}, "image_url": {"type", "image_url"}}


def check_openai_content(where, role, content):
    if isinstance(content, str):
        if not content.strip():
            fail(where, "content is an empty string")
        return 0
    if not isinstance(content, list) or not content:
        fail(where, "content must be a non-empty string or a non-empty list of typed parts")
    images = 0
    for p in content:
        if not isinstance(p, dict) or p.get("type") not in OPENAI_PART_KEYS:
            fail(where, f"content part {p!r:.80} is not a {{'type': 'text'|'image_url'}} part")
        if set(p) != OPENAI_PART_KEYS[p["type"]]:
            fail(where, f"content part keys {sorted(p)} (want {sorted(OPENAI_PART_KEYS[p['type']])})")
        if p["type"] == "text" and not is_str(p["text"]):
            fail(where, "a text part with empty text")
        if p["type"] == "image_url":
            if role != "user":
                fail(where, f"an image part in a {role} message (only user messages may carry images)")
            iu = p["image_url"]
            if not isinstance(iu, dict) or not set(iu) <= {"url", "detail"} or not is_str(iu.get("url")):
                fail(where, "image_url must be {'url': ..., 'detail'?}")
            if not re.match(r"^(https?://\S+|data:image/[a-z0-9.+-]+;base64,)", iu["url"]):
                fail(where, f"image_url.url {iu['url']!r:.80} is neither an http(s) URL nor a data:image URL")
            if "detail" in iu and iu["detail"] not in ("auto", "low", "high"):
                fail(where, f"image_url.detail {iu['detail']!r}")
            images += 1
    if not text_of(content):
        fail(where, "content has no text part")
    return images


def check_openai_messages(where, messages, allow_weight):
    """OpenAI chat fine-tuning data checks (the cookbook's format validation), plus content parts."""
    if not isinstance(messages, list) or not messages:
        fail(where, "messages must be a non-empty list")
    for k, m in enumerate(messages, 1):
        w = f"{where} message {k}"
        if not isinstance(m, dict):
            fail(w, "a message must be an object")
        if "role" not in m or "content" not in m:
            fail(w, "message missing role or content")
        allowed = {"role", "content"} | ({"weight"} if allow_weight else set())
        if set(m) - allowed:
            fail(w, f"unrecognised message keys {sorted(set(m) - allowed)}")
        if m["role"] not in ("system", "user", "assistant"):
            fail(w, f"unrecognised role {m['role']!r}")
        if "weight" in m:
            if m["role"] != "assistant":
                fail(w, "weight on a non-assistant message")
            if type(m["weight"]) is not int or m["weight"] not in (0, 1):
                fail(w, f"weight must be 0 or 1, not {m['weight']!r}")
        check_openai_content(w, m["role"], m["content"])
    if not any(m["role"] == "assistant" for m in messages):
        fail(where, "no assistant message")
    return [m["role"] for m in messages]


def check_trl_messages(where, messages):
    """TRL conversational messages: role/content, text or content parts {'type': 'text'|'image'}."""
    if not isinstance(messages, list) or not messages:
        fail(where, "must be a non-empty list of messages")
    n_images = 0
    for k, m in enumerate(messages, 1):
        w = f"{where} message {k}"
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            fail(w, f"a message must be exactly {{role, content}}, got {m!r:.80}")
        if m["role"] not in ("system", "user", "assistant"):
            fail(w, f"unrecognised role {m['role']!r}")
        c = m["content"]
        if isinstance(c, str):
            if not c.strip():
                fail(w, "empty content")
            continue
        if not isinstance(c, list) or not c:
            fail(w, "content must be a non-empty string or a list of parts")
        for p in c:
            if p == {"type": "image"}:
                if m["role"] != "user":
                    fail(w, "an image part outside a user message")
                n_images += 1
            elif isinstance(p, dict) and set(p) == {"type", "text"} and p["type"] == "text":
                if not is_str(p["text"]):
                    fail(w, "a text part with empty text")
            else:
                fail(w, f"content part {p!r:.80} is neither {{'type': 'text', 'text'}} nor {{'type': 'image'}}")
        if not text_of(c):
            fail(w, "content has no text part")
    return n_images


def check_images_list(where, row, count, what):
    images = row.get("images")
    if count == 0 and images is None:
        return
    if not isinstance(images, list) or not all(is_str(i) for i in images):
        fail(where, "images must be a list of non-empty strings")
    if len(images) != count:
        fail(where, f"{len(images)} images listed, {count} {what} in the sample")


def check_sharegpt_turns(where, convs, allow_images):
    if not isinstance(convs, list) or not convs:
        fail(where, "conversations must be a non-empty list")
    placeholders = 0
    for k, t in enumerate(convs, 1):
        w = f"{where} turn {k}"
        if not isinstance(t, dict) or set(t) != {"from", "value"}:
            fail(w, f"a turn must be exactly {{from, value}}, got {t!r:.80}")
        if t["from"] not in ("system", "human", "gpt"):
            fail(w, f"from must be system, human or gpt, not {t['from']!r}")
        if not is_str(t["value"]):
            fail(w, "value must be a non-empty string")
        n = t["value"].count("<image>")
        if n and (not allow_images or t["from"] != "human"):
            fail(w, "an <image> placeholder outside a human turn")
        if not t["value"].replace("<image>", "").strip():
            fail(w, "value has no text besides <image> placeholders")
        placeholders += n
    return [t["from"] for t in convs], placeholders


# ---------------------------------------------------------------- SFT


class RunCheck:
    def __init__(self, run, require):
        self.run = os.path.abspath(run)
        self.require = set(require)
        self.tok = None
        self.vision_template = None

    def p(self, *parts):
        return os.path.join(self.run, *parts)

    def absent(self, family, what):
        if family in self.require:
            fail(self.p(what), f"required ({family}) but absent")
        report(self.run, what, "", ["not written (pass --require to make this a failure)"], status="absent")

    # -- SFT ------------------------------------------------------------
    def sft_files(self):
        return [(f, s, self.p("sft", f"{f}_{s}.jsonl")) for f in FORMATS for s in SPLITS
                if os.path.exists(self.p("sft", f"{f}_{s}.jsonl"))]

    def dpo_files(self):
        return [(f, s, self.p("dpo", f"{f}_{s}.jsonl")) for f in FORMATS for s in SPLITS
                if os.path.exists(self.p("dpo", f"{f}_{s}.jsonl"))]

    def train_tokenizer(self):
        texts = []
        for _, _, path in self.sft_files() + self.dpo_files():
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        strings_in(json.loads(line), texts)
                    except json.JSONDecodeError:
                        pass  # reported by the file's own check
        t0 = time.time()
        self.tok, self.vision_template = build_tokenizer(texts)
        report(self.run, "(tokenizer)", f"{len(self.tok)} vocab",
               [f"byte-level BPE trained on {len(texts)} strings in {time.time() - t0:.1f} s",
                f"chat template trl/chat_templates/{TEXT_TEMPLATE}"])

    def render_messages(self, where, messages):
        """TRL's apply_chat_template on {'messages'}, tokenised; every content found; assistant mask checked."""
        out = guarded(where, "trl apply_chat_template", apply_chat_template, {"messages": messages}, self.tok)
        text = out["text"]
        for k, m in enumerate(messages, 1):
            for t in text_of(m["content"]):
                assert_in(f"{where} message {k}", f"{m['role']} content", t, text)
        n = tokenise(where, self.tok, text)
        enc = guarded(where, "apply_chat_template(return_assistant_tokens_mask=True)", self.tok.apply_chat_template,
                      messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        ids, mask = enc["input_ids"], enc["assistant_masks"]
        spans, cur = [], []
        for i, m in zip(ids, mask):
            if m:
                cur.append(i)
            elif cur:
                spans.append(cur)
                cur = []
        if cur:
            spans.append(cur)
        spans = [self.tok.decode(s, skip_special_tokens=False) for s in spans]
        assistant = [m for m in messages if m["role"] == "assistant"]
        if len(spans) != len(assistant):
            fail(where, f"assistant-only loss mask has {len(spans)} spans for {len(assistant)} assistant messages")
        for k, (span, m) in enumerate(zip(spans, assistant), 1):
            if m["content"] not in span or "<|im_start|>" in span:
                fail(where, f"assistant-only loss mask span {k} is not assistant message {k}")
        return n

    def render_vision(self, where, messages, images):
        """TRL's vision data path: prepare_multimodal_messages (which counts placeholders against images), then a
        template that trl ships for content parts (qwen2_5_vl); the text of every part survives and every image
        renders one image pad. The text-only projection also renders with the text template."""
        try:
            prepared = prepare_multimodal_messages([dict(m) for m in messages], list(images))
        except ValueError as e:
            hint = ""
            if any(m["role"] == "user" and isinstance(m["content"], str) for m in messages):
                hint = (" (a user message with plain-string content gets image placeholders for all the images:"
                        " give every message a content-part list)")
            fail(where, f"trl prepare_multimodal_messages: {e}{hint}")
        text = guarded(where, VISION_TEMPLATE, self.tok.apply_chat_template, prepared,
                       chat_template=self.vision_template, tokenize=False)
        if text.count("<|image_pad|>") != len(images):
            fail(where, f"{text.count('<|image_pad|>')} image pads rendered for {len(images)} images")
        for k, m in enumerate(messages, 1):
            for t in text_of(m["content"]):
                assert_in(f"{where} message {k}", f"{m['role']} text part", t, text)
        n = tokenise(where, self.tok, text)
        projection = [{"role": m["role"], "content": "\n".join(text_of(m["content"]))} for m in messages]
        self.render_messages(where + " (text-only projection)", projection)
        return n

    def render_openai_vision(self, where, messages):
        """OpenAI image_url parts through qwen2_5_vl (which renders them as images), and the text-only projection."""
        n_img = sum(1 for m in messages if isinstance(m["content"], list)
                    for p in m["content"] if p.get("type") == "image_url")
        text = guarded(where, VISION_TEMPLATE, self.tok.apply_chat_template, messages,
                       chat_template=self.vision_template, tokenize=False)
        if text.count("<|image_pad|>") != n_img:
            fail(where, f"{text.count('<|image_pad|>')} image pads rendered for {n_img} image_url parts")
        for k, m in enumerate(messages, 1):
            for t in text_of(m["content"]):
                assert_in(f"{where} message {k}", "text part", t, text)
        n = tokenise(where, self.tok, text)
        projection = [{"role": m["role"], "content": "\n".join(text_of(m["content"]))} for m in messages]
        self.render_messages(where + " (text-only projection)", projection)
        return n

    def check_sft(self):
        files = self.sft_files()
        if not files:
            return self.absent("sft", "sft/")
        contents = {}
        for fmt, split, path in files:
            name = rel(self.run, path)
            if os.path.getsize(path) == 0:
                report(self.run, name, 0, ["empty, not loaded"])
                contents[(fmt, split)] = []
                continue
            raw = read_jsonl(path)
            ds = load_json_dataset(path, raw)
            checks = ["datasets.load_dataset"]
            vision = 0
            norm = []  # [(role, [texts])] per row, to compare the formats
            for i, row in enumerate(raw, 1):
                w = f"{name} line {i}"
                if fmt == "sharegpt":
                    if not set(row) <= {"conversations", "images"} or "conversations" not in row:
                        fail(w, f"top-level keys {sorted(row)} (want conversations, images?)")
                    froms, ph = check_sharegpt_turns(w, row["conversations"], True)
                    body = check_roles_alternate(w, froms, "human", "gpt")
                    if len(body) % 2:
                        fail(w, f"{len(body)} turns after the system turn: must be even (human/gpt pairs)")
                    check_images_list(w, row, ph, "<image> placeholders")
                    vision += bool(ph)
                    norm.append([(t["from"], [t["value"].replace("<image>", "")]) for t in row["conversations"]])
                elif fmt == "openai":
                    if set(row) != {"messages"}:
                        fail(w, f"top-level keys {sorted(row)} (OpenAI chat fine-tuning: messages only)")
                    roles = check_openai_messages(w, row["messages"], allow_weight=True)
                    check_roles_alternate(w, roles, "user", "assistant")
                    if roles[-1] != "assistant":
                        fail(w, "the last message is not an assistant message")
                    if all(m.get("weight", 1) == 0 for m in row["messages"] if m["role"] == "assistant"):
                        fail(w, "every assistant message has weight 0: nothing to train on")
                    vision += any(isinstance(m["content"], list) for m in row["messages"])
                    norm.append([(m["role"], text_of(m["content"])) for m in row["messages"]])
                else:
                    if not set(row) <= {"messages", "images"} or "messages" not in row:
                        fail(w, f"top-level keys {sorted(row)} (want messages, images?)")
                    n_img = check_trl_messages(w, row["messages"])
                    roles = [m["role"] for m in row["messages"]]
                    check_roles_alternate(w, roles, "user", "assistant")
                    if roles[-1] != "assistant":
                        fail(w, "the last message is not an assistant message")
                    check_images_list(w, row, n_img, "image parts")
                    if "images" in row and n_img == 0:
                        fail(w, "images listed but no image part")
                    vision += bool(n_img)
                    norm.append([(m["role"], text_of(m["content"])) for m in row["messages"]])
            checks.append({"openai": "OpenAI format checks", "sharegpt": "ShareGPT rules",
                           "trl": "TRL conversational"}[fmt])
            contents[(fmt, split)] = norm

            # TRL's data path, as SFTTrainer runs it.
            first = ds[0]
            if fmt == "sharegpt":
                if not is_conversational_from_value(first):
                    fail(name, "trl is_conversational_from_value is False")
                ds = ds.map(maybe_convert_to_chatml, remove_columns="conversations")
                # maybe_convert_to_chatml renames the keys only (from -> role, value -> content): the ShareGPT role
                # names stay, and a chat template renders nothing for 'human' / 'gpt'. Map them as LLaMA-Factory's
                # role tags do (user_tag human, assistant_tag gpt) before rendering.
                ds = ds.map(lambda ex: {"messages": [{"role": SHAREGPT_ROLES[m["role"]], "content": m["content"]}
                                                     for m in ex["messages"]]})
            if not is_conversational(ds[0]):
                fail(name, "trl is_conversational is False")
            checks.append("is_conversational")
            if fmt == "sharegpt":
                checks.append("maybe_convert_to_chatml + human/gpt -> user/assistant")
            tokens = 0
            for i, ex in enumerate(ds, 1):
                w = f"{name} line {i}"
                messages = ex["messages"]
                original = raw[i - 1]
                want = original.get("conversations") or original["messages"]
                if len(messages) != len(want):
                    fail(w, f"{len(messages)} messages after loading, {len(want)} in the file")
                for k, (m, o) in enumerate(zip(messages, want), 1):
                    got = text_of(m["content"])
                    exp = text_of(o.get("content", o.get("value")))
                    if got != exp or m["role"] != SHAREGPT_ROLES.get(o.get("from"), o.get("role")):
                        fail(f"{w} message {k}", "changed by loading / maybe_convert_to_chatml")
                if fmt == "trl" and any(isinstance(m["content"], list) for m in messages):
                    tokens += self.render_vision(w, messages, ex.get("images") or [])
                elif fmt == "openai" and any(isinstance(m["content"], list) for m in messages):
                    tokens += self.render_openai_vision(w, messages)
                else:
                    tokens += self.render_messages(w, [{"role": m["role"], "content": m["content"]} for m in messages])
            checks += ["apply_chat_template", f"tokenised ({tokens} tokens)", "every message rendered",
                       "assistant mask"]
            if vision:
                checks.append(f"vision samples {vision}" + (
                    "" if fmt == "sharegpt" else f" (trl/chat_templates/{VISION_TEMPLATE}"
                    + (" after prepare_multimodal_messages" if fmt == "trl" else "") + ", and text-only projection)"))
            report(self.run, name, len(raw), checks)
        # The formats of one folder are one export: same rows, same text, in the same order.
        for split in SPLITS:
            have = [(f, contents[(f, split)]) for f in FORMATS if (f, split) in contents]
            for (f1, c1), (f2, c2) in zip(have, have[1:]):
                if len(c1) != len(c2):
                    fail(self.p("sft"), f"{f1}_{split} has {len(c1)} rows, {f2}_{split} {len(c2)}: "
                                        "formats in one folder must be one export (put variants in their own folder)")
                for i, (a, b) in enumerate(zip(c1, c2), 1):
                    ta = [t for _, ts in a for t in ts]
                    tb = [t for _, ts in b for t in ts]
                    if ta != tb:
                        fail(self.p("sft"), f"line {i} of {f1}_{split} and {f2}_{split} differ in their text")

    # -- DPO ------------------------------------------------------------
    def check_dpo(self):
        files = self.dpo_files()
        if not files:
            return self.absent("dpo", "dpo/")
        per_split = {}
        multi_turn = 0
        trl_pairs = 0
        for fmt, split, path in files:
            name = rel(self.run, path)
            if os.path.getsize(path) == 0:
                report(self.run, name, 0, ["empty, not loaded"])
                per_split.setdefault(split, {})[fmt] = []
                continue
            raw = read_jsonl(path)
            ds = load_json_dataset(path, raw)
            norm = []
            vision = 0
            for i, row in enumerate(raw, 1):
                w = f"{name} line {i}"
                if fmt == "trl":
                    if not set(row) <= {"prompt", "chosen", "rejected", "images"} or \
                            not {"prompt", "chosen", "rejected"} <= set(row):
                        fail(w, f"top-level keys {sorted(row)} (want prompt, chosen, rejected, images?)")
                    for key in ("prompt", "chosen", "rejected"):
                        if not isinstance(row[key], list):
                            fail(w, f"{key} must be a list of messages (conversational), not {type(row[key]).__name__}")
                    n_img = check_trl_messages(w + " prompt", row["prompt"])
                    roles = [m["role"] for m in row["prompt"]]
                    body = check_roles_alternate(w + " prompt", roles, "user", "assistant")
                    if roles[-1] != "user":
                        fail(w, "the prompt must end with a user message")
                    multi_turn += body.count("user") > 1
                    trl_pairs += 1
                    for key in ("chosen", "rejected"):
                        check_trl_messages(f"{w} {key}", row[key])
                        if len(row[key]) != 1 or row[key][0]["role"] != "assistant":
                            fail(w, f"{key} must be one assistant message")
                    check_images_list(w, row, n_img, "image parts")
                    vision += bool(n_img)
                    prompt = [text_of(m["content"]) for m in row["prompt"]]
                    chosen, rejected = text_of(row["chosen"][0]["content"]), text_of(row["rejected"][0]["content"])
                elif fmt == "openai":
                    if set(row) != {"input", "preferred_output", "non_preferred_output"}:
                        fail(w, f"top-level keys {sorted(row)} (want input, preferred_output, non_preferred_output)")
                    if not isinstance(row["input"], dict) or set(row["input"]) != {"messages"}:
                        fail(w, "input must be {'messages': [...]}")
                    msgs = row["input"]["messages"]
                    if not isinstance(msgs, list) or not msgs:
                        fail(w, "input.messages must be a non-empty list")
                    for k, m in enumerate(msgs, 1):
                        if not isinstance(m, dict) or set(m) != {"role", "content"}:
                            fail(f"{w} input message {k}", "a message must be exactly {role, content}")
                        if m["role"] not in ("system", "user", "assistant"):
                            fail(f"{w} input message {k}", f"unrecognised role {m['role']!r}")
                        vision += bool(check_openai_content(f"{w} input message {k}", m["role"], m["content"]))
                    roles = [m["role"] for m in msgs]
                    check_roles_alternate(w + " input", roles, "user", "assistant")
                    if roles[-1] != "user":
                        fail(w, "input.messages must end with a user message")
                    for key in ("preferred_output", "non_preferred_output"):
                        out = row[key]
                        if not isinstance(out, list) or len(out) != 1 or not isinstance(out[0], dict) or \
                                set(out[0]) != {"role", "content"} or out[0]["role"] != "assistant":
                            fail(w, f"{key} must be a list of one assistant message {{role, content}}")
                        if not is_str(out[0]["content"]):
                            fail(w, f"{key} content must be a non-empty string")
                    prompt = [text_of(m["content"]) for m in msgs]
                    chosen = [row["preferred_output"][0]["content"]]
                    rejected = [row["non_preferred_output"][0]["content"]]
                else:
                    if not set(row) <= {"conversations", "chosen", "rejected", "images"} or \
                            not {"conversations", "chosen", "rejected"} <= set(row):
                        fail(w, f"top-level keys {sorted(row)} (want conversations, chosen, rejected, images?)")
                    froms, ph = check_sharegpt_turns(w, row["conversations"], True)
                    body = check_roles_alternate(w, froms, "human", "gpt")
                    if len(body) % 2 != 1:
                        fail(w, f"{len(body)} turns after the system turn: must be odd, ending with human")
                    for key in ("chosen", "rejected"):
                        c = row[key]
                        if not isinstance(c, dict) or set(c) != {"from", "value"} or c["from"] != "gpt" or \
                                not is_str(c["value"]):
                            fail(w, f"{key} must be {{'from': 'gpt', 'value': non-empty}}")
                        if "<image>" in c["value"]:
                            fail(w, f"an <image> placeholder in {key}")
                    check_images_list(w, row, ph, "<image> placeholders")
                    vision += bool(ph)
                    prompt = [[t["value"].replace("<image>", "")] for t in row["conversations"]]
                    chosen, rejected = [row["chosen"]["value"]], [row["rejected"]["value"]]
                if chosen == rejected:
                    fail(w, "chosen and rejected are the same")
                norm.append((prompt, chosen, rejected))
            per_split.setdefault(split, {})[fmt] = norm

            # TRL's preference data path: conversational prompt/chosen/rejected, apply_chat_template.
            checks = ["datasets.load_dataset",
                      {"trl": "TRL preference format", "openai": "OpenAI preference format",
                       "sharegpt": "LLaMA-Factory ranking format"}[fmt]]
            tokens = 0
            for i, ex in enumerate(ds, 1):
                w = f"{name} line {i}"
                if fmt == "trl":
                    example = {k: ex[k] for k in ("prompt", "chosen", "rejected")}
                elif fmt == "openai":
                    example = {"prompt": ex["input"]["messages"], "chosen": ex["preferred_output"],
                               "rejected": ex["non_preferred_output"]}
                else:
                    example = maybe_convert_to_chatml({"prompt": [dict(t) for t in ex["conversations"]],
                                                       "chosen": [dict(ex["chosen"])],
                                                       "rejected": [dict(ex["rejected"])]})
                    example = {k: [{"role": SHAREGPT_ROLES[m["role"]], "content": m["content"]} for m in v]
                               for k, v in example.items()}
                if not is_conversational(example):
                    fail(w, "trl is_conversational is False")
                has_parts = any(isinstance(m["content"], list) for m in example["prompt"])
                if fmt == "trl" and ex.get("images"):
                    # TRL's vision path for the prompt: placeholders counted against images, rendered by qwen2_5_vl.
                    self.render_vision(w + " prompt", example["prompt"] + example["chosen"], ex["images"])
                elif fmt == "openai" and has_parts:
                    self.render_openai_vision(w + " input", example["prompt"] + example["chosen"])
                if has_parts:
                    # Text-only projection: the text template renders strings; the parts were checked above.
                    example = {k: [{"role": m["role"], "content": "\n".join(text_of(m["content"]))} for m in v]
                               for k, v in example.items()}
                out = guarded(w, "trl apply_chat_template", apply_chat_template, example, self.tok)
                for key in ("prompt", "chosen", "rejected"):
                    if not isinstance(out.get(key), str) or not out[key]:
                        fail(w, f"apply_chat_template gave no {key} string")
                if out["chosen"] == out["rejected"]:
                    fail(w, "chosen and rejected render the same")
                for k, m in enumerate(example["prompt"], 1):
                    for t in text_of(m["content"]):
                        assert_in(f"{w} prompt message {k}", "content", t, out["prompt"])
                assert_in(w, "chosen", example["chosen"][0]["content"], out["chosen"])
                assert_in(w, "rejected", example["rejected"][0]["content"], out["rejected"])
                for key in ("prompt", "chosen", "rejected"):
                    tokens += tokenise(f"{w} {key}", self.tok, out[key])
            checks += ["is_conversational", "apply_chat_template", f"tokenised ({tokens} tokens)",
                       "every message rendered", "chosen != rejected"]
            if vision:
                checks.append(f"vision samples {vision}" + (
                    "" if fmt == "sharegpt" else f" (prompt through {VISION_TEMPLATE}; pair rendered text-only)"))
            report(self.run, name, len(raw), checks)
        if trl_pairs and not multi_turn:
            fail(self.p("dpo"), "no TRL pair has a multi-turn prompt: the prompt must be the whole conversation "
                                "before the turn")

        # Formats aligned line by line, and the meta file beside them.
        conv_ids = self.conversation_ids()
        pair_ids, conv_split = set(), {}
        for split, by_fmt in per_split.items():
            fmts = list(by_fmt)
            for f1, f2 in zip(fmts, fmts[1:]):
                a, b = by_fmt[f1], by_fmt[f2]
                if len(a) != len(b):
                    fail(self.p("dpo"), f"{f1}_{split} has {len(a)} pairs, {f2}_{split} {len(b)}")
                for i, (x, y) in enumerate(zip(a, b), 1):
                    if x != y:
                        fail(self.p("dpo"), f"line {i} of {f1}_{split} and {f2}_{split} are not the same pair")
            meta_path = self.p("dpo", f"meta_{split}.jsonl")
            name = rel(self.run, meta_path)
            if not os.path.exists(meta_path):
                fail(meta_path, "missing: every DPO split needs its meta file")
            meta = read_jsonl(meta_path) if os.path.getsize(meta_path) else []
            for f in fmts:
                if len(meta) != len(by_fmt[f]):
                    fail(meta_path, f"{len(meta)} lines, {f}_{split}.jsonl has {len(by_fmt[f])}: not aligned")
            if meta:
                load_json_dataset(meta_path, meta)
            by_conv = {}
            for i, m in enumerate(meta, 1):
                w = f"{name} line {i}"
                missing = [k for k in META_FIELDS if k not in m]
                if missing:
                    fail(w, f"missing fields {missing}")
                if m["pair_id"] in pair_ids:
                    fail(w, f"duplicate pair_id {m['pair_id']!r}")
                pair_ids.add(m["pair_id"])
                if type(m["turn"]) is not int or m["turn"] < 0:
                    fail(w, f"turn must be a non-negative integer, not {m['turn']!r}")
                if not is_str(m["source"]):
                    fail(w, "source must be a non-empty string")
                # A judge pair has the judge's margin and no negative kind; a hard negative has a kind and no margin.
                judged = m["source"] == "judge"
                if judged and (type(m["margin"]) not in (int, float) or not math.isfinite(m["margin"])):
                    fail(w, f"a judge pair's margin must be a number, not {m['margin']!r}")
                if not judged and not is_str(m["kind"]):
                    fail(w, f"a {m['source']} pair's kind must be a non-empty string, not {m['kind']!r}")
                if not judged and m["margin"] is not None and type(m["margin"]) not in (int, float):
                    fail(w, f"margin must be a number or null, not {m['margin']!r}")
                cid = m["conversation_id"]
                if conv_ids is not None and cid not in conv_ids:
                    fail(w, f"conversation_id {cid!r} is not in conversations.jsonl")
                if conv_split.setdefault(json.dumps(cid), split) != split:
                    fail(w, f"conversation {cid!r} has pairs in {conv_split[json.dumps(cid)]} and {split}")
                prompt = next(iter(by_fmt.values()))[i - 1][0]
                # The conversation part: a prompt ends with the user and alternates from the user on, so an even
                # length means a leading system message (the prompt and the item cards, which name each pair's own
                # items), which is not part of the conversation.
                if len(prompt) % 2 == 0:
                    prompt = prompt[1:]
                by_conv.setdefault(json.dumps(cid), []).append((m["turn"], prompt, i))
            # A later turn's prompt extends an earlier turn's: the whole conversation before the turn.
            for cid, pairs in by_conv.items():
                pairs.sort(key=lambda t: t[0])
                for (t1, p1, i1), (t2, p2, i2) in zip(pairs, pairs[1:]):
                    if (t1 == t2 and p1 != p2) or (t1 < t2 and (len(p2) <= len(p1) or p2[:len(p1)] != p1)):
                        fail(f"{name} lines {i1} and {i2}", f"prompt at turn {t2} does not extend the prompt at "
                                                          f"turn {t1} of conversation {json.loads(cid)!r}")
            report(self.run, name, len(meta), ["fields", f"aligned with {', '.join(fmts)}", "pair_id unique",
                                               "prompts extend by turn"]
                   + (["conversation_id in conversations.jsonl"] if conv_ids is not None else []))

    def conversation_ids(self):
        path = self.p("conversations.jsonl")
        if not os.path.exists(path):
            return None
        ids = set()
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    try:
                        ids.add(json.loads(line)["id"])
                    except (json.JSONDecodeError, KeyError):
                        pass
        return ids

    # -- tables ---------------------------------------------------------
    def read_csv(self, path):
        name = rel(self.run, path)
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames
            if not header:
                fail(name, "no header row")
            if len(set(header)) != len(header) or any(not h.strip() for h in header):
                fail(name, f"header has empty or duplicate column names: {header}")
            rows = []
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    fail(f"{name} row {reader.line_num}", f"{len(header)} columns in the header, not in this row")
                rows.append(row)
        # Array-valued columns (any cell starting with '['): every non-empty cell is a JSON array.
        arrays = []
        for col in header:
            if any(r[col].startswith("[") for r in rows):
                arrays.append(col)
                for n, r in enumerate(rows, 2):
                    if r[col] == "":
                        continue
                    try:
                        v = json.loads(r[col])
                    except json.JSONDecodeError:
                        v = None
                    if not isinstance(v, list):
                        fail(f"{name} row {n} column {col}", f"{r[col]!r:.80} is not a JSON array")
        return header, rows, arrays

    def check_tables(self):
        a = self.p("analytics")
        if not os.path.isdir(a):
            return self.absent("tables", "analytics/")
        for f in ("chats.csv", "messages.csv", "turns.jsonl"):
            if not os.path.exists(os.path.join(a, f)):
                fail(os.path.join(a, f), "missing from analytics/")
        ch_header, chats, ch_arrays = self.read_csv(os.path.join(a, "chats.csv"))
        key = "conversation_id" if "conversation_id" in ch_header else "id"
        if key not in ch_header:
            fail("analytics/chats.csv", "no conversation_id (or id) column")
        ids = [r[key] for r in chats]
        if len(set(ids)) != len(ids) or "" in ids:
            fail("analytics/chats.csv", f"{key} is empty or not unique")
        report(self.run, "analytics/chats.csv", len(chats),
               ["csv.DictReader", f"{key} unique", f"JSON arrays in {', '.join(ch_arrays) or 'no column'}"])
        m_header, msgs, m_arrays = self.read_csv(os.path.join(a, "messages.csv"))
        if "conversation_id" not in m_header:
            fail("analytics/messages.csv", "no conversation_id column")
        known = set(ids)
        for n, r in enumerate(msgs, 2):
            if r["conversation_id"] not in known:
                fail(f"analytics/messages.csv row {n}", f"conversation_id {r['conversation_id']!r} not in chats.csv")
        report(self.run, "analytics/messages.csv", len(msgs),
               ["csv.DictReader", "conversation_id in chats.csv", f"JSON arrays in {', '.join(m_arrays) or 'no column'}"])
        tpath = os.path.join(a, "turns.jsonl")
        raw = read_jsonl(tpath) if os.path.getsize(tpath) else []
        if raw:
            load_json_dataset(tpath, raw)
        if len(raw) != len(msgs):
            fail("analytics/turns.jsonl", f"{len(raw)} rows, messages.csv has {len(msgs)}")
        report(self.run, "analytics/turns.jsonl", len(raw), ["datasets.load_dataset", "rows == messages.csv rows"])

    def check_schema(self, family):
        d = self.p(family)
        schema = os.path.join(d, "schema.sql")
        if not os.path.exists(schema):
            return self.absent(family, f"{family}/schema.sql")
        db = sqlite3.connect(":memory:")
        db.execute("PRAGMA foreign_keys=ON")
        try:
            with open(schema, encoding="utf-8") as f:
                db.executescript(f.read())
        except sqlite3.Error as e:
            fail(f"{family}/schema.sql", f"SQLite rejects the DDL: {e}")
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        if not tables:
            fail(f"{family}/schema.sql", "creates no table")
        csvs = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(d, "*.csv")))
        for t in tables:
            if t not in csvs:
                fail(f"{family}/schema.sql", f"table {t} has no {t}.csv")
        for c in csvs:
            if c not in tables:
                fail(f"{family}/{c}.csv", "no table of that name in schema.sql")
        # Parents before children (foreign keys are enforced on every insert).
        deps = {t: {r[2] for r in db.execute(f'PRAGMA foreign_key_list("{t}")')} - {t} for t in tables}
        order, done = [], set()
        while len(order) < len(tables):
            ready = [t for t in tables if t not in done and deps[t] <= done]
            if not ready:  # a cycle: insert the rest as they come, foreign_key_check decides
                ready = [t for t in tables if t not in done]
            for t in ready:
                order.append(t)
                done.add(t)
        counts = {}
        for t in order:
            header, rows, _ = self.read_csv(os.path.join(d, f"{t}.csv"))
            cols = {r[1]: r[2].upper() for r in db.execute(f'PRAGMA table_info("{t}")')}
            unknown = [h for h in header if h not in cols]
            if unknown:
                fail(f"{family}/{t}.csv", f"columns {unknown} are not in table {t}")
            sql = f'INSERT INTO "{t}" ({", ".join(chr(34) + h + chr(34) for h in header)}) ' \
                  f'VALUES ({", ".join("?" for _ in header)})'
            for n, r in enumerate(rows, 2):
                try:
                    db.execute(sql, [None if r[h] == "" else r[h] for h in header])
                except sqlite3.Error as e:
                    fail(f"{family}/{t}.csv row {n}", f"insert into {t}: {e}")
            got = db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            if got != len(rows):
                fail(f"{family}/{t}.csv", f"{got} rows in the table, {len(rows)} in the CSV")
            # Numeric columns hold numbers: a text value left in an INTEGER/REAL column is a bad cell.
            for h in header:
                decl = cols[h]
                if any(k in decl for k in ("INT", "REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
                    bad = db.execute(f'SELECT "{h}" FROM "{t}" WHERE typeof("{h}") = \'text\' LIMIT 1').fetchone()
                    if bad:
                        fail(f"{family}/{t}.csv column {h}", f"{bad[0]!r} in a {decl} column is not a number")
            counts[t] = len(rows)
        problems = db.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            fail(f"{family}/", f"PRAGMA foreign_key_check: {problems[:5]}")
        for t in order:
            report(self.run, f"{family}/{t}.csv", counts[t], ["csv.DictReader", "sqlite insert", "row count"])
        report(self.run, f"{family}/schema.sql", f"{len(tables)} tables",
               ["executes in sqlite3", "every table has a CSV", "foreign_keys=ON", "foreign_key_check clean"])

    # -- storybot -------------------------------------------------------
    def check_storybot(self):
        path = self.p("storybot", "conversations.json")
        if not os.path.exists(path):
            return self.absent("storybot", "storybot/conversations.json")
        try:
            with open(path, encoding="utf-8") as f:
                v = json.load(f)
        except json.JSONDecodeError as e:
            fail(path, f"not JSON: {e}")
        convs = v if isinstance(v, list) else [v]
        n_msgs = 0
        for i, c in enumerate(convs, 1):
            w = f"storybot/conversations.json conversation {i}"
            if not isinstance(c, dict) or not isinstance(c.get("messages_list"), list) or not c["messages_list"]:
                fail(w, "no messages_list")
            refs = set()
            for k, m in enumerate(c["messages_list"], 1):
                missing = [f for f in STORYBOT_FIELDS if not isinstance(m, dict) or f not in m]
                if missing:
                    fail(f"{w} message {k}", f"missing fields {missing}")
                if not is_str(m["message"]) or not is_str(m["screen_name"]):
                    fail(f"{w} message {k}", "message and screen_name must be non-empty strings")
                if not re.match(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d", str(m["transaction_datetime_utc"])):
                    fail(f"{w} message {k}", f"transaction_datetime_utc {m['transaction_datetime_utc']!r}")
                refs.add(json.dumps(m["ref_conversation_id"]))
                n_msgs += 1
            if len(refs) != 1:
                fail(w, "messages of one conversation carry different ref_conversation_id")
        report(self.run, "storybot/conversations.json", f"{len(convs)} convs",
               [f"json.load, {n_msgs} messages", "five fields", "one ref_conversation_id each"])

    # -- dataset card ---------------------------------------------------
    def check_card(self):
        path = self.p("README.md")
        if not os.path.exists(path):
            return self.absent("card", "README.md")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        m = re.match(r"^---\r?\n(.*?)\r?\n---\r?\n", text, re.S)
        if not m:
            fail("README.md", "no YAML front matter between --- lines")
        try:
            meta = yaml.safe_load(m.group(1))
        except yaml.YAMLError as e:
            fail("README.md", f"front matter is not YAML: {e}")
        if not isinstance(meta, dict) or not isinstance(meta.get("configs"), list) or not meta["configs"]:
            fail("README.md", "front matter has no configs list")
        declared = {}
        for info in meta.get("dataset_info") or []:
            if isinstance(info, dict):
                for s in info.get("splits") or []:
                    declared[(info.get("config_name", "default"), s.get("name"))] = s.get("num_examples")
        names, kinds = [], set()
        for cfg in meta["configs"]:
            name = cfg.get("config_name")
            if not name or "data_files" not in cfg:
                fail("README.md", f"config {cfg!r:.80} needs config_name and data_files")
            names.append(name)
            df = cfg["data_files"]
            if isinstance(df, str):
                df = [{"split": "train", "path": df}]
            elif isinstance(df, list) and all(isinstance(x, str) for x in df):
                df = [{"split": "train", "path": df}]
            elif isinstance(df, dict):
                df = [{"split": k, "path": v} for k, v in df.items()]
            want = {}
            for entry in df:
                paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
                n = 0
                for p in paths:
                    found = sorted(glob.glob(os.path.join(self.run, p)))
                    if not found:
                        fail("README.md", f"config {name}: data file {p} does not exist")
                    kinds.add(data_kind(p))
                    if len(kinds) > 1:
                        # datasets infers one builder (json, csv, ...) for the whole card from the first config's
                        # files and reads every config with it.
                        fail("README.md", f"config {name}: {p} mixes file types with the configs before it "
                                          f"({sorted(kinds)}); datasets reads every config with one builder")
                    n += sum(count_rows(f) for f in found)
                if n == 0:
                    fail("README.md", f"config {name}: split {entry['split']} has no rows ({', '.join(paths)}); "
                                      "datasets cannot load an empty split, so the card must leave it out")
                want[entry["split"]] = want.get(entry["split"], 0) + n
            try:
                loaded = datasets.load_dataset(self.run, name=name)
            except Exception as e:  # noqa: BLE001
                fail("README.md", f"datasets.load_dataset(RUN_DIR, name={name!r}) failed: {type(e).__name__}: {e}")
            got = {s: len(loaded[s]) for s in loaded}
            if got != want:
                fail("README.md", f"config {name}: loaded split sizes {got}, the files have {want}")
            for s, n in got.items():
                if (name, s) in declared and declared[(name, s)] != n:
                    fail("README.md", f"config {name}: dataset_info says {declared[(name, s)]} {s} examples, "
                                      f"the files have {n}")
            report(self.run, f"README.md [{name}]", sum(got.values()),
                   ["data_files exist", "datasets.load_dataset(RUN_DIR, name=...)", f"splits {got}"])
        if len(set(names)) != len(names):
            fail("README.md", "duplicate config_name")

    def check(self, only=FAMILIES):
        print(f"{self.run}", flush=True)
        if not os.path.isdir(self.run):
            fail(self.run, "not a folder")
        if ("sft" in only or "dpo" in only) and (self.sft_files() or self.dpo_files()):
            self.train_tokenizer()
        steps = {"sft": self.check_sft, "dpo": self.check_dpo, "tables": self.check_tables,
                 "star": lambda: self.check_schema("star"), "snowflake": lambda: self.check_schema("snowflake"),
                 "storybot": self.check_storybot, "card": self.check_card}
        for family in FAMILIES:
            if family in only:
                steps[family]()


def data_kind(path):
    ext = path.rsplit(".", 1)[-1].lower()
    return {"jsonl": "json", "json": "json", "csv": "csv", "tsv": "csv"}.get(ext, ext)


def count_rows(path):
    if path.endswith(".csv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return max(sum(1 for _ in csv.reader(f)) - 1, 0)
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def check_runs(runs, require, only=FAMILIES):
    for run in runs:
        RunCheck(run, require).check(only)


# ---------------------------------------------------------------- self-test


def _edit_jsonl(path, line, fn):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(x) for x in f]
    fn(rows[line])
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def _edit_text(path, fn):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    new = fn(text)
    assert new != text, f"self-test mutation left {path} unchanged"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)


def _drop_last_line(path):
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines[:-1])


def _image_part(row):
    """The first OpenAI image_url part of a row."""
    return next(p for m in row["messages"] if isinstance(m["content"], list)
                for p in m["content"] if p["type"] == "image_url")


def _set(obj, keys, value):
    for k in keys[:-1]:
        obj = obj[k]
    obj[keys[-1]] = value


# (name, sample folder, mutation(run_dir), required families, words expected in the failure)
MUTATIONS = [
    ("sft trl: assistant first", "run",
     lambda d: _edit_jsonl(f"{d}/sft/trl_train.jsonl", 0, lambda r: r["messages"].pop(1)), "", "expected 'user'"),
    ("sft trl: last message from the user", "run",
     lambda d: _edit_jsonl(f"{d}/sft/trl_train.jsonl", 0, lambda r: r["messages"].pop()), "", "last message"),
    ("sft openai: unknown message key", "run",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _set(r, ["messages", 1, "name"], "bob")),
     "", "unrecognised message keys"),
    ("sft openai: weight 2", "run",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _set(r, ["messages", 2, "weight"], 2)),
     "", "weight must be 0 or 1"),
    ("sft openai: weight on a user message", "run",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _set(r, ["messages", 1, "weight"], 1)),
     "", "weight on a non-assistant"),
    ("sft openai: role 'tool'", "run",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _set(r, ["messages", 1, "role"], "tool")),
     "", "unrecognised role"),
    ("sft openai: empty content", "run",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _set(r, ["messages", 2, "content"], "")),
     "", "empty string"),
    ("sft openai: extra top-level key", "run",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _set(r, ["id"], "x")), "", "top-level keys"),
    ("sft sharegpt: odd number of turns", "run",
     lambda d: _edit_jsonl(f"{d}/sft/sharegpt_train.jsonl", 0, lambda r: r["conversations"].pop()), "", "must be even"),
    ("sft sharegpt: from 'user'", "run",
     lambda d: _edit_jsonl(f"{d}/sft/sharegpt_train.jsonl", 0, lambda r: _set(r, ["conversations", 1, "from"], "user")),
     "", "from must be system, human or gpt"),
    ("sft sharegpt: two human turns in a row", "run",
     lambda d: _edit_jsonl(f"{d}/sft/sharegpt_train.jsonl", 0, lambda r: _set(r, ["conversations", 2, "from"], "human")),
     "", "roles must alternate"),
    ("sft: formats disagree on text", "run",
     lambda d: _edit_jsonl(f"{d}/sft/sharegpt_train.jsonl", 1,
                           lambda r: _set(r, ["conversations", 2, "value"], "Something else.")), "", "differ in their text"),
    ("sft: broken JSON line", "run",
     lambda d: _edit_text(f"{d}/sft/trl_test.jsonl", lambda t: t[:-3] + "\n"), "", "not JSON"),
    ("sft: a split missing from one format", "run",
     lambda d: _drop_last_line(f"{d}/sft/openai_train.jsonl"), "", "one export"),
    ("dpo trl: chosen == rejected", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/trl_train.jsonl", 0, lambda r: _set(r, ["rejected"], r["chosen"])), "",
     "the same"),
    ("dpo trl: prompt ends with the assistant", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/trl_train.jsonl", 1, lambda r: r["prompt"].pop()), "", "end with a user"),
    ("dpo trl: chosen is a string", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/trl_train.jsonl", 0, lambda r: _set(r, ["chosen"], r["chosen"][0]["content"])),
     "", "must be a list of messages"),
    ("dpo trl: every prompt single-turn", "run",
     lambda d: _edit_text(f"{d}/dpo/trl_train.jsonl", lambda t: "\n".join(
         json.dumps({**r, "prompt": [m for m in r["prompt"] if m["role"] == "system"] + [r["prompt"][-1]]})
         for r in map(json.loads, t.splitlines())) + "\n"), "", "multi-turn"),
    ("dpo openai: user message in preferred_output", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/openai_train.jsonl", 0, lambda r: _set(r, ["preferred_output", 0, "role"], "user")),
     "", "preferred_output must be"),
    ("dpo openai: input ends with the assistant", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/openai_train.jsonl", 0, lambda r: r["input"]["messages"].append(
         {"role": "assistant", "content": "Hello."})), "", "end with a user"),
    ("dpo sharegpt: even number of turns", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/sharegpt_train.jsonl", 1, lambda r: r["conversations"].pop()), "", "must be odd"),
    ("dpo sharegpt: chosen from human", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/sharegpt_train.jsonl", 0, lambda r: _set(r, ["chosen", "from"], "human")), "",
     "chosen must be"),
    ("dpo meta: a line missing", "run", lambda d: _drop_last_line(f"{d}/dpo/meta_train.jsonl"), "", "not aligned"),
    ("dpo meta: no margin", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/meta_train.jsonl", 0, lambda r: r.pop("margin")), "", "missing fields"),
    ("dpo meta: duplicate pair_id", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/meta_train.jsonl", 1, lambda r: _set(r, ["pair_id"], "p-0001")), "",
     "duplicate pair_id"),
    ("dpo: formats not the same pair", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/sharegpt_train.jsonl", 0, lambda r: _set(r, ["rejected", "value"], "Other.")),
     "", "not the same pair"),
    ("dpo: later prompt does not extend the earlier", "run",
     lambda d: _edit_jsonl(f"{d}/dpo/meta_train.jsonl", 2, lambda r: _set(r, ["conversation_id"], "c00000000")), "",
     "does not extend"),
    ("vision trl: images list too short", "vision",
     lambda d: _edit_jsonl(f"{d}/sft/trl_train.jsonl", 0, lambda r: r["images"].pop()), "", "images listed"),
    ("vision trl: image part in an assistant message", "vision",
     lambda d: _edit_jsonl(f"{d}/sft/trl_train.jsonl", 0, lambda r: r["messages"][2]["content"].append(
         {"type": "image"})), "", "outside a user message"),
    ("vision openai: image_url without url", "vision",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0, lambda r: _image_part(r).update(image_url={})), "",
     "image_url"),
    ("vision openai: relative image path", "vision",
     lambda d: _edit_jsonl(f"{d}/sft/openai_train.jsonl", 0,
                           lambda r: _image_part(r).update(image_url={"url": "images/a.jpg"})),
     "", "neither an http(s) URL"),
    ("vision sharegpt: <image> count != images", "vision",
     lambda d: _edit_jsonl(f"{d}/sft/sharegpt_train.jsonl", 0, lambda r: r["images"].append("images/extra.jpg")), "",
     "<image> placeholders"),
    ("vision dpo trl: images list too long", "vision",
     lambda d: _edit_jsonl(f"{d}/dpo/trl_train.jsonl", 0, lambda r: r["images"].append("images/extra.jpg")), "",
     "image parts"),
    ("tables: message of an unknown chat", "run",
     lambda d: _edit_text(f"{d}/analytics/messages.csv", lambda t: t.replace("\nc00000000,", "\nc99999999,", 1)), "",
     "not in chats.csv"),
    ("tables: array cell not JSON", "run",
     lambda d: _edit_text(f"{d}/analytics/chats.csv", lambda t: t.replace('"[""', '"[', 1)), "",
     "not a JSON array"),
    ("tables: ragged row", "run",
     lambda d: _edit_text(f"{d}/analytics/messages.csv", lambda t: t.rstrip("\n") + ",extra\n"), "", "columns"),
    ("tables: turns.jsonl one row short", "run", lambda d: _drop_last_line(f"{d}/analytics/turns.jsonl"), "",
     "messages.csv has"),
    ("star: fact row of a missing dimension row", "run",
     lambda d: _edit_text(f"{d}/star/fact_messages.csv", lambda t: t.replace("\nc00000000,", "\nc99999999,", 1)), "",
     "FOREIGN KEY"),
    ("star: a table without its CSV", "run", lambda d: os.remove(f"{d}/star/dim_items.csv"), "", "has no dim_items.csv"),
    ("star: text in an integer column", "run",
     lambda d: _edit_text(f"{d}/star/fact_messages.csv", lambda t: t.replace(",1,user,", ",one,user,", 1)), "",
     "not a number"),
    ("snowflake: duplicate primary key", "run",
     lambda d: _edit_text(f"{d}/snowflake/dim_category.csv",
                          lambda t: t + t.splitlines()[1] + "\n"), "", "UNIQUE"),
    ("snowflake: a CSV with no table", "run",
     lambda d: shutil.copy(f"{d}/snowflake/dim_category.csv", f"{d}/snowflake/dim_colour.csv"), "", "no table"),
    ("storybot: a message without screen_name", "run",
     lambda d: _edit_text(f"{d}/storybot/conversations.json", lambda t: t.replace('"screen_name"', '"screen"', 1)), "",
     "missing fields"),
    ("card: a data file that does not exist", "run",
     lambda d: _edit_text(f"{d}/README.md", lambda t: t.replace("sft/trl_train.jsonl", "sft/trl_training.jsonl", 1)),
     "", "does not exist"),
    ("card: dataset_info size wrong", "run",
     lambda d: _edit_text(f"{d}/README.md", lambda t: t.replace("num_examples: 4", "num_examples: 5", 1)), "",
     "NonMatchingSplitsSizesError"),  # datasets verifies dataset_info itself (and so does the checker after it)
    ("card: no front matter", "run",
     lambda d: _edit_text(f"{d}/README.md", lambda t: t.replace("---", "", 1)), "", "front matter"),
    ("card: an empty split listed", "run",
     lambda d: open(f"{d}/sft/trl_test.jsonl", "w").close(), "", "empty split"),
    ("require: an absent family", "vision", lambda d: None, "tables", "required"),
]


def self_test():
    samples = os.path.join(HERE, "samples")
    passed = failed = 0
    print("self-test: the samples pass")
    check_runs([os.path.join(samples, "run")], FAMILIES)
    check_runs([os.path.join(samples, "vision")], ("sft", "dpo"))
    passed += 2
    print(f"\nself-test: {len(MUTATIONS)} broken copies and one broken render, each must fail")
    sink = open(os.devnull, "w")
    for name, base, mutate, require, expect in MUTATIONS:
        tmp = tempfile.mkdtemp(prefix="musegen-broken-", dir=_CACHE)
        d = os.path.join(tmp, base)
        shutil.copytree(os.path.join(samples, base), d)
        mutate(d)
        stdout = sys.stdout
        sys.stdout = sink
        # Only the family the mutation is in (a broken copy fails there or nowhere): keeps the self-test quick.
        family = name.split()[0].rstrip(":")
        only = ("sft", "dpo") if family == "vision" else (family,) if family in FAMILIES else FAMILIES
        try:
            check_runs([d], [f for f in require.split(",") if f], only)
            msg = None
        except CheckFailed as e:
            msg = str(e)
        finally:
            sys.stdout = stdout
        if msg is not None and expect.lower() in msg.lower():
            passed += 1
            print(f"  ok     {name:<48} rejected: {msg.replace(d, '<copy>')[:110]}")
        else:
            failed += 1
            print(f"  FAIL   {name:<48} " + ("accepted" if msg is None else f"wrong reason: {msg[:150]}"))
        shutil.rmtree(tmp, True)
    # The render check itself can fail: ShareGPT through maybe_convert_to_chatml alone keeps the roles human/gpt,
    # which the chat template renders as nothing (this is why the checker maps them, as LLaMA-Factory does).
    rc = RunCheck(samples, ())
    rc.tok, rc.vision_template = build_tokenizer(["Hi there", "Hello!"])
    ex = maybe_convert_to_chatml({"conversations": [{"from": "human", "value": "Hi there"},
                                                    {"from": "gpt", "value": "Hello!"}]})
    name = "render: roles human/gpt left unmapped"
    try:
        rc.render_messages("sample", ex["messages"])
        failed += 1
        print(f"  FAIL   {name:<48} accepted")
    except CheckFailed as e:
        passed += 1
        print(f"  ok     {name:<48} rejected: {str(e)[:110]}")
    print(f"\nself-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="*", metavar="RUN_DIR")
    ap.add_argument("--require", default="",
                    help=f"comma-separated families whose absence fails: {','.join(FAMILIES)} (or 'all')")
    ap.add_argument("--self-test", action="store_true",
                    help="check tests/python/samples, then broken copies of them (each must fail)")
    args = ap.parse_args(argv)
    print(f"check_exports: datasets {datasets.__version__}, transformers {transformers.__version__}, "
          f"tokenizers {tokenizers.__version__}, trl {trl.__version__} (offline)")
    t0 = time.time()
    if args.self_test:
        try:
            rc = self_test()
        except CheckFailed as e:
            print(f"\nFAIL {e}\nself-test: the samples should pass")
            return 1
        print(f"self-test: {time.time() - t0:.1f} s")
        return rc
    if not args.runs:
        ap.error("give RUN_DIR or --self-test")
    require = FAMILIES if args.require == "all" else [f for f in args.require.split(",") if f]
    bad = set(require) - set(FAMILIES)
    if bad:
        ap.error(f"unknown families in --require: {sorted(bad)} (know {','.join(FAMILIES)})")
    try:
        check_runs(args.runs, require)
    except CheckFailed as e:
        print(f"\nFAIL {e}", flush=True)
        return 1
    except Exception:  # noqa: BLE001 - a checker bug or an unforeseen shape: still a failure, with the trace
        import traceback
        traceback.print_exc()
        print("\nFAIL unexpected error (above) while checking", flush=True)
        return 1
    print(f"\ncheck_exports: all checks passed in {time.time() - t0:.1f} s ({len(args.runs)} folders)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
