#!/usr/bin/env python3
"""Write the self-test samples of check_exports.py from six conversations that `musegen run` wrote.

    python tests/python/samples/make_samples.py [CONVERSATIONS_JSONL]

The samples are the *shapes* the exporters are to write (issue 6), made by hand here, not by musegen: SFT and DPO in
TRL, OpenAI and ShareGPT shapes with a DPO meta file, vision variants, the analytics tables, star and snowflake
schemas with their CSVs, StoryBot JSON and a dataset card. Re-run only to change the samples; the output is
committed. Without an argument it reads samples/run/conversations.jsonl (already committed).
"""

import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "run")
VISION = os.path.join(HERE, "vision")
SYSTEM = ("You are a friendly, knowledgeable shopping assistant for an online store. Ask about what the customer "
          "needs when it is not clear, recommend items from the catalog by name and price, use the customer's "
          "feedback, and never invent items, prices or features.")
IMAGE_BASE = "https://images.example.com/"  # OpenAI wants URLs; TRL and ShareGPT keep the relative paths
SPLIT = {0: "train", 1: "train", 2: "train", 3: "train", 4: "validation", 5: "test"}


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])


def turns_of(conv):
    """(role, text, images) from the shopper's first message to the assistant's last, a speaker's turns joined."""
    out = []
    for t in conv["turns"]:
        role = "user" if t["role"] == "user" else "assistant"
        if not out and role == "assistant":
            continue
        if out and out[-1][0] == role:
            out[-1] = (role, out[-1][1] + "\n\n" + t["text"], out[-1][2] + t.get("images", []))
        else:
            out.append((role, t["text"], list(t.get("images", []))))
    while out and out[-1][0] != "assistant":
        out.pop()
    return out


def vision_turns(turns):
    """Images move to the user message that answers the recommendation (the shopper looks at the picture)."""
    out, pending = [], []
    for role, text, images in turns:
        if role == "assistant":
            out.append((role, text, []))
            pending = images[:1]
        else:
            out.append((role, text, pending))
            pending = []
    return out


def sft_rows(turns):
    trl = {"messages": [{"role": "system", "content": SYSTEM}] + [{"role": r, "content": t} for r, t, _ in turns]}
    openai = {"messages": [{"role": "system", "content": SYSTEM}]
              + [{"role": r, "content": t, **({"weight": 0} if r == "assistant" and k == 1 else {})}
                 for k, (r, t, _) in enumerate(turns)]}
    sharegpt = {"conversations": [{"from": "system", "value": SYSTEM}]
                + [{"from": "human" if r == "user" else "gpt", "value": t} for r, t, _ in turns]}
    return trl, openai, sharegpt


def sft_vision_rows(turns):
    images = [i for _, _, im in turns for i in im]
    trl_msgs, oa_msgs, sg = [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]}], \
        [{"role": "system", "content": SYSTEM}], [{"from": "system", "value": SYSTEM}]
    for r, t, im in turns:
        if r == "user" and im:
            trl_msgs.append({"role": r, "content": [{"type": "image"} for _ in im] + [{"type": "text", "text": t}]})
            oa_msgs.append({"role": r, "content": [{"type": "text", "text": t}]
                            + [{"type": "image_url", "image_url": {"url": IMAGE_BASE + i}} for i in im]})
            sg.append({"from": "human", "value": "<image>" * len(im) + t})
        else:
            trl_msgs.append({"role": r, "content": [{"type": "text", "text": t}]})
            oa_msgs.append({"role": r, "content": t})
            sg.append({"from": "human" if r == "user" else "gpt", "value": t})
    return ({"messages": trl_msgs, "images": images}, {"messages": oa_msgs}, {"conversations": sg, "images": images})


REJECTED = "Here is a popular pick: Northwind Basics Everyday Tote, $24.99. Most people like it."


def dpo_pairs(conv, turns, at, vision=False):
    """A pair at the assistant message `at` (index in turns): the prompt is the whole conversation before it."""
    prompt = turns[:at]
    chosen = turns[at][1]
    images = [i for _, _, im in prompt for i in im] if vision else []
    if vision:
        # Every TRL message as content parts: trl's prepare_multimodal_messages puts image placeholders into the
        # first user message whose content is a plain string, on top of the ones already in the parts.
        trl_prompt = [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]}] + [
            {"role": r, "content": ([{"type": "image"} for _ in im] if r == "user" else []) + [{"type": "text", "text": t}]}
            for r, t, im in prompt]
        oa_prompt = [{"role": "system", "content": SYSTEM}] + [
            {"role": r, "content": ([{"type": "text", "text": t}]
                                    + [{"type": "image_url", "image_url": {"url": IMAGE_BASE + i}} for i in im])
             if im and r == "user" else t} for r, t, im in prompt]
        sg_prompt = [{"from": "system", "value": SYSTEM}] + [
            {"from": "human" if r == "user" else "gpt", "value": ("<image>" * len(im) if r == "user" else "") + t}
            for r, t, im in prompt]
    else:
        trl_prompt = [{"role": "system", "content": SYSTEM}] + [{"role": r, "content": t} for r, t, _ in prompt]
        oa_prompt = [{"role": "system", "content": SYSTEM}] + [{"role": r, "content": t} for r, t, _ in prompt]
        sg_prompt = [{"from": "system", "value": SYSTEM}] + [{"from": "human" if r == "user" else "gpt", "value": t}
                                                            for r, t, _ in prompt]
    part = (lambda t: [{"type": "text", "text": t}]) if vision else (lambda t: t)
    trl = {"prompt": trl_prompt, "chosen": [{"role": "assistant", "content": part(chosen)}],
           "rejected": [{"role": "assistant", "content": part(REJECTED)}]}
    oa = {"input": {"messages": oa_prompt}, "preferred_output": [{"role": "assistant", "content": chosen}],
          "non_preferred_output": [{"role": "assistant", "content": REJECTED}]}
    sg = {"conversations": sg_prompt, "chosen": {"from": "gpt", "value": chosen},
          "rejected": {"from": "gpt", "value": REJECTED}}
    if images:
        trl["images"] = images
        sg["images"] = images
    return trl, oa, sg


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(RUN, "conversations.jsonl")
    convs = [json.loads(x) for x in open(src, encoding="utf-8")][:6]
    if src != os.path.join(RUN, "conversations.jsonl"):
        write_jsonl(os.path.join(RUN, "conversations.jsonl"), convs)

    # SFT and DPO, text
    sft = {(f, s): [] for f in ("trl", "openai", "sharegpt") for s in ("train", "validation", "test")}
    dpo = {(f, s): [] for f in ("trl", "openai", "sharegpt", "meta") for s in ("train", "validation", "test")}
    pair = 0
    for k, conv in enumerate(convs):
        turns = turns_of(conv)
        split = SPLIT[k]
        for f, row in zip(("trl", "openai", "sharegpt"), sft_rows(turns)):
            sft[(f, split)].append(row)
        assistant_at = [i for i, (r, _, _) in enumerate(turns) if r == "assistant"]
        # train: the first and a later assistant turn (a multi-turn prompt); validation/test: the first only
        for at in (assistant_at[:1] + assistant_at[2:3]) if split == "train" and k < 2 else assistant_at[:1]:
            pair += 1
            for f, row in zip(("trl", "openai", "sharegpt"), dpo_pairs(conv, turns, at)):
                dpo[(f, split)].append(row)
            dpo[("meta", split)].append({"pair_id": f"p-{pair:04d}", "conversation_id": conv["id"],
                                         "turn": at + 1, "source": "rewrite", "kind": "ignores_requirements",
                                         "margin": round(0.5 + 0.1 * (pair % 4), 2)})
    for (f, s), rows in sft.items():
        write_jsonl(os.path.join(RUN, "sft", f"{f}_{s}.jsonl"), rows)
    for (f, s), rows in dpo.items():
        write_jsonl(os.path.join(RUN, "dpo", f"{f}_{s}.jsonl"), rows)

    # Vision variants (their own folder: one export per folder)
    vis_convs = [c for c in convs if any(t.get("images") for t in c["turns"])][:2]
    v_sft = {f: [] for f in ("trl", "openai", "sharegpt")}
    v_dpo = {f: [] for f in ("trl", "openai", "sharegpt", "meta")}
    for n, conv in enumerate(vis_convs):
        turns = vision_turns(turns_of(conv))
        for f, row in zip(("trl", "openai", "sharegpt"), sft_vision_rows(turns)):
            v_sft[f].append(row)
        with_image = [i for i, (r, _, im) in enumerate(turns) if r == "user" and im]
        at = with_image[0] + 1
        for f, row in zip(("trl", "openai", "sharegpt"), dpo_pairs(conv, turns, at, vision=True)):
            v_dpo[f].append(row)
        v_dpo["meta"].append({"pair_id": f"v-{n + 1:04d}", "conversation_id": conv["id"], "turn": at + 1,
                              "source": "rewrite", "kind": "ignores_image", "margin": 0.7})
    for f, rows in v_sft.items():
        write_jsonl(os.path.join(VISION, "sft", f"{f}_train.jsonl"), rows)
    for f, rows in v_dpo.items():
        write_jsonl(os.path.join(VISION, "dpo", f"{f}_train.jsonl"), rows)

    # Analytics
    chats, messages, turns_rows = [], [], []
    for conv in convs:
        chats.append([conv["id"], conv["profile_id"], conv["target_item_id"], conv["outcome"], conv["end_reason"],
                      conv["rounds"], len(conv["turns"]), json.dumps(conv["mentioned_items"]),
                      conv["accepted_item"]])
        for i, t in enumerate(conv["turns"]):
            messages.append([conv["id"], i, t["role"], t["action"], t["text"], json.dumps(t.get("items", [])),
                             json.dumps(t.get("images", [])), t.get("latency_ms")])
            turns_rows.append({"conversation_id": conv["id"], "turn": i, "role": t["role"], "action": t["action"],
                               "text": t["text"], "items": t.get("items", []), "images": t.get("images", [])})
    write_csv(os.path.join(RUN, "analytics", "chats.csv"),
              ["conversation_id", "profile_id", "target_item_id", "outcome", "end_reason", "rounds", "turns",
               "mentioned_items", "accepted_item"], chats)
    write_csv(os.path.join(RUN, "analytics", "messages.csv"),
              ["conversation_id", "turn", "role", "action", "text", "items", "images", "latency_ms"], messages)
    write_jsonl(os.path.join(RUN, "analytics", "turns.jsonl"), turns_rows)

    # Star schema: conversations and items around a fact table of messages
    items = sorted({i for c in convs for i in c["mentioned_items"]} | {c["target_item_id"] for c in convs})
    star = os.path.join(RUN, "star")
    os.makedirs(star, exist_ok=True)
    with open(os.path.join(star, "schema.sql"), "w", encoding="utf-8") as f:
        f.write("""-- Star schema (sample): one fact table of messages, two dimensions.
CREATE TABLE dim_conversations (
  conversation_id TEXT PRIMARY KEY,
  outcome TEXT NOT NULL,
  end_reason TEXT NOT NULL,
  rounds INTEGER NOT NULL
);
CREATE TABLE dim_items (
  item_id TEXT PRIMARY KEY,
  image TEXT
);
CREATE TABLE fact_messages (
  conversation_id TEXT NOT NULL REFERENCES dim_conversations(conversation_id),
  turn INTEGER NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  item_id TEXT REFERENCES dim_items(item_id),
  latency_ms INTEGER,
  PRIMARY KEY (conversation_id, turn)
);
""")
    images = {}
    for c in convs:
        for t in c["turns"]:
            for it, im in zip(t.get("items", []), t.get("images", [])):
                images[it] = im
    write_csv(os.path.join(star, "dim_conversations.csv"), ["conversation_id", "outcome", "end_reason", "rounds"],
              [[c["id"], c["outcome"], c["end_reason"], c["rounds"]] for c in convs])
    write_csv(os.path.join(star, "dim_items.csv"), ["item_id", "image"], [[i, images.get(i)] for i in items])
    write_csv(os.path.join(star, "fact_messages.csv"),
              ["conversation_id", "turn", "role", "action", "item_id", "latency_ms"],
              [[c["id"], i, t["role"], t["action"], (t.get("items") or [None])[0], t.get("latency_ms")]
               for c in convs for i, t in enumerate(c["turns"])])

    # Snowflake: the item dimension normalised into category (a tree) and brand
    snow = os.path.join(RUN, "snowflake")
    os.makedirs(snow, exist_ok=True)
    with open(os.path.join(snow, "schema.sql"), "w", encoding="utf-8") as f:
        f.write("""-- Snowflake schema (sample): the item dimension normalised into a category tree and brands.
CREATE TABLE dim_category (
  category_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  parent_id INTEGER REFERENCES dim_category(category_id)
);
CREATE TABLE dim_brand (
  brand_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE dim_item (
  item_id TEXT PRIMARY KEY,
  category_id INTEGER NOT NULL REFERENCES dim_category(category_id),
  brand_id INTEGER REFERENCES dim_brand(brand_id),
  price REAL
);
CREATE TABLE dim_conversation (
  conversation_id TEXT PRIMARY KEY,
  outcome TEXT NOT NULL
);
CREATE TABLE fact_recommendation (
  conversation_id TEXT NOT NULL REFERENCES dim_conversation(conversation_id),
  turn INTEGER NOT NULL,
  item_id TEXT NOT NULL REFERENCES dim_item(item_id),
  accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
  PRIMARY KEY (conversation_id, turn, item_id)
);
""")
    write_csv(os.path.join(snow, "dim_category.csv"), ["category_id", "name", "parent_id"],
              [[1, "All", None], [2, "Bags", 1], [3, "Footwear", 1], [4, "Accessories", 1]])
    write_csv(os.path.join(snow, "dim_brand.csv"), ["brand_id", "name"], [[1, "Avery & Cole"], [2, "Calloway Goods"]])
    write_csv(os.path.join(snow, "dim_item.csv"), ["item_id", "category_id", "brand_id", "price"],
              [[i, 2 + n % 3, (1 + n % 2) if n % 5 else None, f"{17.99 + 3 * n:.2f}"] for n, i in enumerate(items)])
    write_csv(os.path.join(snow, "dim_conversation.csv"), ["conversation_id", "outcome"],
              [[c["id"], c["outcome"]] for c in convs])
    recs = []
    for c in convs:
        for i, t in enumerate(c["turns"]):
            if t["role"] == "system" and t["action"] == "recommend":
                for it in t.get("items", [])[:1]:
                    recs.append([c["id"], i, it, int(it == c["accepted_item"])])
    write_csv(os.path.join(snow, "fact_recommendation.csv"), ["conversation_id", "turn", "item_id", "accepted"], recs)

    # StoryBot
    sb = []
    for c in convs[:2]:
        ml = []
        for i, t in enumerate(c["turns"]):
            ml.append({"message": t["text"], "ref_conversation_id": c["id"], "ref_user_id": c["profile_id"],
                       "transaction_datetime_utc": f"2026-01-01T10:{i:02d}:00Z",
                       "screen_name": "musegen_bot" if t["role"] == "system" else c["profile_id"]})
        sb.append({"messages_list": ml})
    os.makedirs(os.path.join(RUN, "storybot"), exist_ok=True)
    with open(os.path.join(RUN, "storybot", "conversations.json"), "w", encoding="utf-8") as f:
        json.dump(sb, f, indent=1, ensure_ascii=False)
        f.write("\n")

    # Dataset card
    configs, infos = [], []
    for family, fmts in (("sft", ("trl", "openai", "sharegpt")), ("dpo", ("trl", "openai", "sharegpt"))):
        for f in fmts:
            name = f"{family}_{f}"
            table = sft if family == "sft" else dpo
            configs.append(f"- config_name: {name}\n  data_files:\n" + "".join(
                f"  - split: {s}\n    path: {family}/{f}_{s}.jsonl\n" for s in ("train", "validation", "test")))
            infos.append(f"- config_name: {name}\n  splits:\n" + "".join(
                f"  - name: {s}\n    num_examples: {len(table[(f, s)])}\n" for s in ("train", "validation", "test")))
    # datasets picks one builder for a whole card from its first config's files: every config must be JSON Lines
    configs.append("- config_name: analytics_turns\n  data_files: analytics/turns.jsonl\n")
    card = ("---\nlanguage:\n- en\nlicense: cc-by-4.0\ntask_categories:\n- text-generation\npretty_name: musegen "
            "sample\nconfigs:\n" + "".join(configs) + "dataset_info:\n" + "".join(infos) + "---\n\n"
            "# musegen sample\n\nHand-made samples in the shapes of musegen's exports (tests/python/samples).\n")
    with open(os.path.join(RUN, "README.md"), "w", encoding="utf-8") as f:
        f.write(card)


if __name__ == "__main__":
    main()
