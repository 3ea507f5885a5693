"""llama.cpp (through llama-cpp-python) on the same GGUF file, measured the way `loom bench inference` measures Loom.

Prints one JSON line: prefill tokens/s for a 512-token prompt and single-stream decode tokens/s over 128 tokens.
"""
import argparse
import json
import time

import llama_cpp


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    llm = llama_cpp.Llama(model_path=args.model, n_ctx=2048, n_batch=512, n_ubatch=512, n_threads=args.threads,
                          n_threads_batch=args.threads, verbose=False)
    # The same kind of prompt Loom's benchmark uses: ordinary tokens, no special ones.
    text = " ".join(["The river runs past the old mill and into the valley."] * 64)
    prompt = llm.tokenize(text.encode(), add_bos=False)[: args.prompt_tokens]
    assert len(prompt) == args.prompt_tokens, len(prompt)

    prefill = []
    for _ in range(args.repeats):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prefill.append(len(prompt) / (time.perf_counter() - start))

    decode = []
    for _ in range(args.repeats):
        llm.reset()
        llm.eval(prompt[:8])
        token = prompt[8]
        start = time.perf_counter()
        for _ in range(args.decode_tokens):
            llm.eval([token])
            token = int(llm.scores[llm.n_tokens - 1].argmax())
        decode.append(args.decode_tokens / (time.perf_counter() - start))

    print(json.dumps({"version": llama_cpp.__version__, "prefill_tokens_per_s": max(prefill), "decode_tokens_per_s": max(decode)}))


if __name__ == "__main__":
    main()
