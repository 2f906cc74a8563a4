"""Write a tiny random-weight llama model (GGUF) for the real-server check: 2 layers, 64-wide embeddings, a
GPT-2-style byte-level vocabulary (256 byte tokens + <|endoftext|>, <|im_start|>, <|im_end|>, and byte-pair merges
learnt from musegen's own prompt files, so that prompts take ~3 times fewer tokens), a ChatML chat template,
seeded, about 0.6 MB.

The weights are random, but the output layer is biased so that only printable ASCII, the quote and the end-of-turn
token are ever sampled, with enough weight on the end of turn and the quote that answers average some 30 tokens and
grammar-constrained JSON strings end. The bias rides on embedding dimension 0, which every token embedding holds at
a large constant, so that after the final RMS norm it is a near-constant input to the output layer.

    python make_model.py OUT.gguf [--seed 7] [--merges 600]

The merged tokens only shorten prompts: the output layer never samples them, so answers are made of single bytes.
"""

import argparse
import collections
import re
from pathlib import Path

import numpy as np
import gguf

N_EMBD = 64
N_HEAD = 4
N_FF = 128
N_LAYER = 2
CONTEXT = 32768
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# Logit biases (before temperature), tuned with run.sh's settings so that answers average ~30 tokens.
# The server keeps the 40 likeliest tokens (top-k), so ~37 printable ones compete with the favoured ones below.
BIAS_PRINTABLE = 0.0
BIAS_QUOTE = 2.4  # ends a JSON string after some 10 characters
BIAS_COMMA = 1.7  # ends a JSON number after a digit or two
BIAS_CLOSE = 2.4  # `]`: ends a JSON array after an item or two (a comma would go on)
BIAS_EXPONENT = -3.0  # `e`/`E`: rare, so that numbers seldom overflow a double
BIAS_END = 1.2  # ends a free-text answer after some 30 tokens
BIAS_OFF = -40.0
RANDOM_SCALE = 0.15


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


REPO = Path(__file__).resolve().parents[2]
WORD = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def learn_merges(n_merges, byte_map):
    """Byte-pair merges learnt from the prompt and rubric files, over GPT-2-style words (sorted, so seeded by the
    files alone)."""
    text = "".join(
        p.read_text(encoding="utf-8")
        for pattern in ("prompts/llm/*.toml", "evaluation/rubrics/*.toml", "evaluation/pairwise.toml")
        for p in sorted(REPO.glob(pattern))
    )
    words = collections.Counter(
        tuple(byte_map[b] for b in w.encode("utf-8")) for w in WORD.findall(text)
    )
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), count = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 2:
            break
        merges.append((a, b))
        merged = collections.Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += c
        words = merged
    return merges


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--merges", type=int, default=600)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    byte_map = bytes_to_unicode()
    merges = learn_merges(args.merges, byte_map)
    tokens = [byte_map[b] for b in range(256)] + SPECIALS + [a + b for a, b in merges]
    types = (
        [int(gguf.TokenType.NORMAL)] * 256
        + [int(gguf.TokenType.CONTROL)] * len(SPECIALS)
        + [int(gguf.TokenType.NORMAL)] * len(merges)
    )
    n_vocab = len(tokens)
    endoftext, im_start, im_end = 256, 257, 258

    bias = np.full(n_vocab, BIAS_OFF, dtype=np.float32)
    bias[0x20:0x7F] = BIAS_PRINTABLE
    bias[ord('"')] = BIAS_QUOTE
    bias[ord(",")] = BIAS_COMMA
    bias[ord("]")] = BIAS_CLOSE
    bias[ord("e")] = bias[ord("E")] = BIAS_EXPONENT
    bias[im_end] = BIAS_END

    w = gguf.GGUFWriter(args.out, "llama")
    w.add_name("musegen-tiny")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges([f"{a} {b}" for a, b in merges])
    w.add_bos_token_id(endoftext)
    w.add_eos_token_id(im_end)
    w.add_eot_token_id(im_end)
    w.add_pad_token_id(endoftext)
    w.add_add_bos_token(False)
    w.add_chat_template(CHATML)

    def rand(*shape, scale):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    # Every embedding holds dimension 0 at a large constant and a small random rest, scaled to one norm, so the
    # final norm leaves dimension 0 near the same value for every position.
    emb = rand(n_vocab, N_EMBD, scale=1.0)
    emb[:, 1:] *= 0.25 / np.linalg.norm(emb[:, 1:], axis=1, keepdims=True) * np.sqrt(N_EMBD - 1)
    emb[:, 0] = 4.0
    w.add_tensor("token_embd.weight", emb)
    for i in range(N_LAYER):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v"):
            w.add_tensor(f"blk.{i}.{name}.weight", rand(N_EMBD, N_EMBD, scale=0.2))
        w.add_tensor(f"blk.{i}.attn_output.weight", rand(N_EMBD, N_EMBD, scale=0.01))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(N_FF, N_EMBD, scale=0.2))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(N_FF, N_EMBD, scale=0.2))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(N_EMBD, N_FF, scale=0.01))
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    # After the norm, dimension 0 is about 4 / rms(embedding) for every position.
    rms = np.sqrt((16.0 + 0.25**2 * (N_EMBD - 1)) / N_EMBD)
    out = rand(n_vocab, N_EMBD, scale=RANDOM_SCALE)
    out[:, 0] = bias / (4.0 / rms)
    w.add_tensor("output.weight", out)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
