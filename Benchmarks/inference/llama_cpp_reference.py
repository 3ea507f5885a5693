"""llama.cpp (through llama-cpp-python) on the same GGUF file, measured the way `loom bench inference` measures Loom.

Prints one JSON line: prefill tokens/s for a 512-token prompt, single-stream decode tokens/s over 128 tokens, and
the same decode after a long prompt (1,000 tokens).
"""
import argparse
import json
import time

import llama_cpp
import numpy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--long-prompt-tokens", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    llm = llama_cpp.Llama(model_path=args.model, n_ctx=2048, n_batch=512, n_ubatch=512, n_threads=args.threads,
                          n_threads_batch=args.threads, verbose=False)
    # The same kind of prompt Loom's benchmark uses: ordinary tokens, no special ones.
    text = " ".join(["The river runs past the old mill and into the valley."] * 160)
    prompt = llm.tokenize(text.encode(), add_bos=False)[: args.prompt_tokens]
    assert len(prompt) == args.prompt_tokens, len(prompt)
    long_prompt = llm.tokenize(text.encode(), add_bos=False)[: args.long_prompt_tokens]
    assert len(long_prompt) == args.long_prompt_tokens, len(long_prompt)

    prefill = []
    for _ in range(args.repeats):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prefill.append(len(prompt) / (time.perf_counter() - start))

    def next_token():
        # The context's last logits. `llm.scores` keeps n_batch rows without logits_all, and its row at
        # n_tokens - 1 did not hold them (greedy read token 0 every step).
        logits = numpy.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
        return int(logits.argmax())

    def decode_after(context):
        llm.reset()
        llm.eval(context)
        token = next_token()
        start = time.perf_counter()
        for _ in range(args.decode_tokens):
            llm.eval([token])
            token = next_token()
        return args.decode_tokens / (time.perf_counter() - start)

    decode = [decode_after(prompt[:8]) for _ in range(args.repeats)]
    long_decode = [decode_after(long_prompt) for _ in range(args.repeats)]

    print(json.dumps({"version": llama_cpp.__version__, "prefill_tokens_per_s": max(prefill), "decode_tokens_per_s": max(decode),
                      "long_decode_tokens_per_s": max(long_decode)}))


if __name__ == "__main__":
    main()
