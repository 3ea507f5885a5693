"""Reference values for Loom's inference tests, computed another way: NumPy in float64 on weights dequantised by
the `gguf` package, and the tokenizers of Hugging Face's `tokenizers` library (the WordPiece one loaded from the
model's own tokenizer.json; the byte-level BPE one assembled from the GGUF vocabulary and merges with SmolLM2's
pre-tokenizer: single digits, then GPT-2's split).

    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install gguf tokenizers numpy
    /tmp/refvenv/bin/python Tests/Reference/make_inference_fixtures.py MODELS_DIR > Tests/LoomInferenceTests/Fixtures/reference.json

MODELS_DIR is what `loom models pull` fills (default .loom/models)."""
import json
import struct
import sys

import gguf
import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

models_dir = sys.argv[1] if len(sys.argv) > 1 else ".loom/models"
GGUF_PATH = f"{models_dir}/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM = f"{models_dir}/minilm-l6"

# ---------------------------------------------------------------- SmolLM2
reader = gguf.GGUFReader(GGUF_PATH)
field = lambda name: reader.fields[name].contents()
tokens = field("tokenizer.ggml.tokens")
merges = [tuple(m.split(" ", 1)) for m in field("tokenizer.ggml.merges")]
vocab = {t: i for i, t in enumerate(tokens)}
bpe = Tokenizer(models.BPE(vocab=vocab, merges=merges))
bpe.pre_tokenizer = pre_tokenizers.Sequence(
    [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
bpe.decoder = decoders.ByteLevel()
special = [t for t, kind in zip(tokens, field("tokenizer.ggml.token_type")) if kind == 3]
bpe.add_special_tokens(special)

tokenizer_cases = [
    "Hello world", "1, 2, 3, 4, 5,", "Once upon a time", "  spaces  and\ttabs\n\nnewlines  ", "café ünïcödé 日本語 🚀",
    "don't I'll we've THEY'RE", "<|im_start|>user\nWhat is 12345 + 678?<|im_end|>\n", "x=3.14159; y = x**2 // 7", "",
]
encodings = [{"text": text, "ids": bpe.encode(text).ids} for text in tokenizer_cases]

weights = {}
for tensor in reader.tensors:
    array = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float64)
    weights[tensor.name] = array.reshape([int(d) for d in reversed(tensor.shape)])
n_layer, dim, heads, kv_heads = 30, 576, 9, 3
head_dim = dim // heads
base = float(field("llama.rope.freq_base"))
eps = float(field("llama.attention.layer_norm_rms_epsilon"))
W = lambda name: weights[name]


def rms(x, w):
    return x / np.sqrt(np.mean(x * x) + eps) * w


def rope(v, pos):
    v = v.reshape(-1, head_dim // 2, 2).copy()
    inv = base ** (-2.0 * np.arange(head_dim // 2) / head_dim)
    cos, sin = np.cos(pos * inv), np.sin(pos * inv)
    a, b = v[..., 0].copy(), v[..., 1].copy()
    v[..., 0], v[..., 1] = a * cos - b * sin, a * sin + b * cos
    return v.reshape(-1)


def logits_for(ids):
    """Runs the tokens through the model one at a time with a key/value cache; returns the last logits."""
    cache_k = [[] for _ in range(n_layer)]
    cache_v = [[] for _ in range(n_layer)]
    for pos, token in enumerate(ids):
        x = W("token_embd.weight")[token].copy()
        for l in range(n_layer):
            p = f"blk.{l}."
            h = rms(x, W(p + "attn_norm.weight"))
            q = rope(W(p + "attn_q.weight") @ h, pos).reshape(heads, head_dim)
            k = rope(W(p + "attn_k.weight") @ h, pos).reshape(kv_heads, head_dim)
            v = (W(p + "attn_v.weight") @ h).reshape(kv_heads, head_dim)
            cache_k[l].append(k)
            cache_v[l].append(v)
            K, V = np.stack(cache_k[l]), np.stack(cache_v[l])
            out = np.zeros((heads, head_dim))
            for hd in range(heads):
                g = hd // (heads // kv_heads)
                s = K[:, g, :] @ q[hd] / np.sqrt(head_dim)
                s = np.exp(s - s.max())
                out[hd] = (s / s.sum()) @ V[:, g, :]
            x = x + W(p + "attn_output.weight") @ out.reshape(-1)
            h = rms(x, W(p + "ffn_norm.weight"))
            gate, up = W(p + "ffn_gate.weight") @ h, W(p + "ffn_up.weight") @ h
            x = x + W(p + "ffn_down.weight") @ (gate / (1 + np.exp(-gate)) * up)
        yield rms(x, W("output_norm.weight")) @ W("token_embd.weight").T


def chat(user):
    return ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")


generations = []
for name, prompt in [("plain-story", "Once upon a time"), ("plain-count", "1, 2, 3, 4, 5,"),
                     ("chat-colors", chat("Name three primary colors.")), ("chat-math", chat("What is 2 + 2?"))]:
    ids = bpe.encode(prompt).ids
    generated, margins, first = [], [], None
    steps = 12
    context = list(ids)
    for _ in range(steps):
        *_, logits = logits_for(context)
        if first is None:
            first = logits
        order = np.argsort(-logits)
        margins.append(float(logits[order[0]] - logits[order[1]]))
        generated.append(int(order[0]))
        if order[0] == 2:
            break
        context.append(int(order[0]))
    top = np.argsort(-first)[:20]
    generations.append({
        "name": name, "prompt": prompt, "prompt_ids": ids, "greedy_ids": generated, "margins": margins,
        "first_logits": {"ids": [int(i) for i in top], "values": [float(first[i]) for i in top]},
    })

# ---------------------------------------------------------------- all-MiniLM-L6-v2
wordpiece = Tokenizer.from_file(f"{MINILM}/tokenizer.json")
wordpiece.no_truncation()
wordpiece.no_padding()
with open(f"{MINILM}/model.safetensors", "rb") as handle:
    length = struct.unpack("<Q", handle.read(8))[0]
    header = json.loads(handle.read(length))
    blob = handle.read()
T = {}
for name, info in header.items():
    if name == "__metadata__" or info["dtype"] != "F32":
        continue
    start, end = info["data_offsets"]
    T[name] = np.frombuffer(blob[start:end], dtype=np.float32).reshape(info["shape"]).astype(np.float64)

from math import erf
erf_v = np.vectorize(erf)


def layer_norm(x, prefix):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * T[prefix + ".weight"] + T[prefix + ".bias"]


def linear(x, prefix):
    return x @ T[prefix + ".weight"].T + T[prefix + ".bias"]


def embed(text):
    ids = wordpiece.encode(text).ids[:256]
    n = len(ids)
    x = T["embeddings.word_embeddings.weight"][ids] + T["embeddings.position_embeddings.weight"][:n] \
        + T["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, "embeddings.LayerNorm")
    for l in range(6):
        p = f"encoder.layer.{l}."
        q, k, v = (linear(x, p + f"attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2) for m in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(32)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = (s / s.sum(-1, keepdims=True)) @ v
        x = layer_norm(x + linear(a.transpose(1, 0, 2).reshape(n, 384), p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + erf_v(h / np.sqrt(2)))
        x = layer_norm(x + linear(h, p + "output.dense"), p + "output.LayerNorm")
    pooled = x.mean(0)
    return ids, pooled / np.linalg.norm(pooled)


sentences = ["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awesome!",
             "Héllo, WORLD! Ünïcode café; 北京 and emoji 🚀 and a verylongunknownwordzzz."]
embeddings = []
for text in sentences:
    ids, vector = embed(text)
    embeddings.append({"text": text, "ids": ids, "vector": [float(v) for v in vector]})
cosine = float(np.dot(embeddings[0]["vector"], embeddings[1]["vector"]))

json.dump({"bpe": encodings, "generations": generations, "wordpiece_embeddings": embeddings, "model_card_cosine": cosine},
          sys.stdout, indent=1)
