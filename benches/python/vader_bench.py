"""Python vaderSentiment over JSON lines, the baseline for Switchyard's speed targets.

Reads {"text": ...} per line from stdin (or the file given as the first argument), writes
{"neg","neu","pos","compound"} per line to stdout, and prints the timing of the scoring loop
(excluding interpreter start and lexicon loading) to stderr.

    python benches/python/vader_bench.py < posts.jsonl > scores.jsonl
"""

import json
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main() -> int:
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    texts = []
    for line_no, line in enumerate(source, 1):
        line = line.strip()
        if not line:
            continue
        try:
            texts.append(json.loads(line)["text"])
        except (ValueError, KeyError, TypeError) as err:
            print(f"line {line_no}: no JSON text field ({err}); skipped", file=sys.stderr)
    analyzer = SentimentIntensityAnalyzer()
    out = sys.stdout
    start = time.perf_counter()
    for text in texts:
        out.write(json.dumps(analyzer.polarity_scores(text)))
        out.write("\n")
    elapsed = time.perf_counter() - start
    per_post_us = elapsed / max(len(texts), 1) * 1e6
    print(
        f"python vaderSentiment: {len(texts)} posts in {elapsed:.2f} s = {per_post_us:.1f} us/post (scoring loop only)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
