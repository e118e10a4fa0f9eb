#!/usr/bin/env python3
"""Writes the token parity fixtures: ids from tiktoken itself (offline) for varied strings.

Usage:
  python3 scripts/gen-token-fixtures.py [--vocab-dir vocab] [--reference PATH] [--out DIR]

--reference is shared/tools/token_reference.py (default: ../shared/tools/token_reference.py
relative to the package root). Output: one JSON line per string and encoding,
{"text": ..., "ids": [...]} in DIR/<encoding>.jsonl, plus "allow_special": true on the lines
encoded with every special token allowed. Special-token text in the other lines is plain
text (tiktoken's encode with allowed_special=() and disallowed_special=()).
The strings are deterministic (fixed seeds), so re-running gives identical files.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENCODINGS = ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]


def load_reference(path: str):
    spec = importlib.util.spec_from_file_location("token_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


WHITESPACE = [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", "\u00a0", "\u3000", "\x0b", "\x0c",
              "\x85", "\u2028", "\u2029", "\u2003", "\u1680", "\u202f", "\u205f", " \n", "\t\n ", "    "]
CONTRACTIONS = ["'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'rE", "'ve", "'VE", "'m", "'M", "'ll", "'LL",
                "'Ll", "'lL", "'d", "'D", "'\u017f", "'x", "'", "''", "\u2019s", "'sa", "'lla", "'ver"]
SCRIPTS = [
    "Hello World", "naïve café", "Straße", "ÆØÅ æøå", "İstanbul ıi", "Ελληνικά γλώσσα ΣΊΣΥΦΟΣ",
    "Русский язык ЁЖИК", "Українська ґ", "Հայերեն", "עברית שָׁלוֹם", "العربية مَرْحَبًا", "فارسی ۱۲۳",
    "हिन्दी भाषा", "বাংলা", "ਪੰਜਾਬੀ", "ગુજરાતી", "தமிழ்", "తెలుగు", "ಕನ್ನಡ", "മലയാളം", "සිංහල",
    "ภาษาไทย", "ພາສາລາວ", "ཀ་ཁ་ག", "မြန်မာ", "ខ្មែរ", "ქართული", "አማርኛ", "ᏣᎳᎩ", "ᠮᠣᠩᠭᠣᠯ",
    "日本語のテキスト", "カタカナー々", "中文文本", "繁體中文", "한국어 텍스트", "ㄅㄆㄇ", "ꀀꀁ",
    "𝐀𝐁𝐂 𝑎𝑏𝑐 𝔸𝔹", "𠀀𠀁𪚥", "𐌰𐌱𐌲", "ǅungla ǈudi ǋ ǲ ᾈ ᾯ", "ʰʲˠ ˆˇ", "Ⅻ ⅻ ½ ² ³ ⁴ ₅", "٠١٢٣ ०१२ １２３",
    "ﬁ ﬂ ﬀ", "Ａｂｃ", "⁰¹", "ⓐⓑ", "🄰🄱",
]
EMOJI = ["👍", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇺🇸", "🇯🇵🇫🇷", "❤\ufe0f", "❤", "1\ufe0f\u20e3", "#\ufe0f\u20e3",
         "🏳\ufe0f\u200d🌈", "🧑🏿\u200d🚀", "🤖🚀✨", "😀😃😄", "🫠", "\U000e0067\U000e0062", "🏴\U000e0067\U000e0062"
         "\U000e0065\U000e006e\U000e0067\U000e007f", "👩\u200d❤\ufe0f\u200d💋\u200d👨", "☺", "©®™"]
MARKS = ["\u0301", "\u0300\u0316", "\u0308\u0304", "\u20e3", "\u0903", "\u093f", "\u0e31", "\u302a", "\u1ab0",
         "\u0489", "\u0345"]
ODD = ["\x00", "\x01", "\x1b[31m", "\x7f", "\x80", "\x9f", "\ufeff", "\ufffd", "\uffff", "\ufffe", "\U0010ffff",
       "\ue000", "\U000f0000", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u061c", "\u202e", "\u1d00",
       "<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|im_start|>", "<|", "|>"]
PUNCT = ["!!!", "???", "...", "…", "—", "--", "-->", "<!--", "//", "/", "///", "/*", "*/", "=>", "===",
         "(", ")", "[", "]", "{", "}", "\"", "'", "`", "```", "#", "##", "@", "$", "%", "^", "&&", "||",
         ",", ";", ":", "::", "«»", "「」", "。", "、", "¿¡", "\\", "\\n", "_", "__init__", "+", "-", "*"]
WORDS = ["the", "The", "THE", "tHe", "hello", "world", "iPhone", "McDonald", "HTTPServerError", "camelCase",
         "snake_case", "kebab-case", "don", "isn", "they", "you", "ROUTINE", "Ünïcödé", "résumé", "ÉCOLE",
         "supercalifragilisticexpialidocious", "pneumonoultramicroscopic", "a", "I", "x", "Zz"]
DIGITS = ["0", "1", "12", "123", "1234", "12345", "123456", "1234567", "00000000", "000000000", "3.14159",
          "1,000,000", "2024-01-15", "12:30", "555-0199", "0x1F", "1e10", "-42", "+1", "٣٤٥", "१२३४",
          "１２３４", "²³", "½", "Ⅻ", "10⁶", "v1.2.3"]


def piece_pool():
    return WHITESPACE + CONTRACTIONS + SCRIPTS + EMOJI + MARKS + ODD + PUNCT + WORDS + DIGITS


def handmade() -> list[str]:
    out = []
    # contractions in context
    for c in CONTRACTIONS:
        for before in ["it", "IT", " ", "", "."]:
            for after in ["", " ", "a", "1", "\n"]:
                out.append(before + c + after)
    # whitespace runs between every kind of neighbour, and trailing/leading
    neighbours = ["a", "1", ".", "日", "\u0301", "'s", ""]
    for ws in WHITESPACE:
        for a in neighbours:
            for b in neighbours:
                out.append(a + ws + b)
        for n in (1, 2, 3, 8, 26):
            out.append("x" + ws * n + "y")
            out.append(ws * n)
            out.append("end" + ws * n)
    for mix in [" \n \n", "\n \n ", "\r\n\r\n", "  \r\n  ", "\t \t\n", " \u00a0 ", "\n\u3000\n", "x \n\t y",
                "a  \n  b", "a\n\n\nb", "a\r\r\nb", "  a  ", "a   ", "   a", "\n", "\r\n", " ", "\t"]:
        out.append(mix)
    # digit runs
    for n in range(1, 25):
        out.append("7" * n)
        out.append("a" + "1234567890"[: n % 10 + 1] * (n // 10 + 1) + "b")
        out.append(" " + "9" * n)
    for d in DIGITS:
        for a in ["", " ", "x", "$", "(", "\n"]:
            out.append(a + d + a)
    # letters, case, marks
    for w in WORDS + SCRIPTS:
        out.append(w)
        out.append(" " + w)
        out.append(w.upper() + w.lower() + w.title())
        for m in MARKS:
            out.append(w + m)
            out.append(m + w)
            out.append(" " + m + w + m + m)
    for m in MARKS:
        out.append(m)
        out.append("a" + m + "1" + m + "." + m + " " + m + "\n" + m)
    # very long words and runs
    rng = random.Random(42)
    for n in (50, 300, 2000):
        out.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n)))
        out.append("a" * n)
        out.append("ab" * (n // 2))
        out.append("日本" * (n // 4))
        out.append("!" * n)
        out.append(" " * n)
        out.append("😀" * (n // 10))
        out.append("\u0301" * (n // 10))
    # punctuation runs with newlines and slashes
    for p in PUNCT:
        for q in ["", "\n", "\r\n", "/", "/\n", " ", "a", "\n\n"]:
            out.append(p + q)
            out.append(" " + p + q + "x")
    # emoji and odd but valid code points
    for e in EMOJI + ODD:
        out.append(e)
        out.append("a" + e + "b")
        out.append(" " + e + " " + e + e)
    out.append("".join(chr(c) for c in range(0, 0x250) if not 0xD800 <= c <= 0xDFFF))
    out.append("".join(chr(c) for c in range(0x2000, 0x2070)))
    # code, markup, data
    out += [
        "def f(x):\n    return x * 2  # double\n",
        "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
        "<div class=\"a\">Hi</div>\r\n<br/>",
        "{\"role\": \"user\", \"content\": \"What's up?\"}",
        "SELECT * FROM users WHERE id = 42;",
        "https://example.com/path/to/page?q=1&r=2#frag",
        "mailto:someone@example.org",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "- [ ] todo\n- [x] done",
        "$ echo 'hi' | tr a-z A-Z > out.txt",
        "C:\\Users\\me\\file.txt",
        "a/b/c//d///e\n/x\r\n/",
        "x.\n/\n/y",
    ]
    return out


def fuzz(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    blocks = [(0x20, 0x7E)] * 8 + [
        (0x00, 0x20), (0x80, 0xFF), (0x100, 0x24F), (0x250, 0x2FF), (0x300, 0x36F), (0x370, 0x3FF),
        (0x400, 0x4FF), (0x530, 0x58F), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0x980, 0x9FF),
        (0xE00, 0xE7F), (0x10A0, 0x10FF), (0x1100, 0x11FF), (0x1E00, 0x1EFF), (0x1F00, 0x1FFF),
        (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20FF), (0x2100, 0x218F), (0x2190, 0x23FF),
        (0x2460, 0x24FF), (0x2500, 0x27BF), (0x3000, 0x30FF), (0x3100, 0x31FF), (0x4E00, 0x4FFF),
        (0xA000, 0xA4CF), (0xAC00, 0xAD00), (0xF900, 0xFAFF), (0xFB00, 0xFB4F), (0xFE00, 0xFE0F),
        (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x10330, 0x1034F), (0x1D400, 0x1D7FF), (0x1F300, 0x1F6FF),
        (0x1F900, 0x1F9FF), (0x1F3FB, 0x1F3FF), (0x20000, 0x2004F), (0xE0020, 0xE007F),
    ]
    pool = piece_pool()
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(pool))
            else:
                lo, hi = rng.choice(blocks)
                s = "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 6)))
                parts.append("".join(ch for ch in s if not 0xD800 <= ord(ch) <= 0xDFFF))
        out.append("".join(parts))
    return out


def special_strings() -> list[str]:
    specials = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"]
    out = ["hello <|endoftext|>", "<|endoftext|>", "<|endoftext|><|endoftext|>", "a<|endoftext|>b",
           "  <|endoftext|>  ", "<|endoftext", "<|endofprompt|>x\n", "<|im_start|>user"]
    for s in specials:
        out.append(f"Hi {s} there")
        out.append(f"{s}\n\n{s} end  ")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vocab-dir", default=os.environ.get("TUNEPREP_VOCAB_DIR") or os.path.join(ROOT, "vocab"))
    p.add_argument("--reference", default=os.path.join(ROOT, "..", "shared", "tools", "token_reference.py"))
    p.add_argument("--out", default=os.path.join(ROOT, "Tests", "TunePrepTests", "Fixtures", "tokens"))
    p.add_argument("--fuzz", type=int, default=1500)
    p.add_argument("--hf", help="also write hf_cl100k_base.jsonl: ids from HF tokenizers for this "
                                "tokenizer.json (token_reference.py export-hf cl100k_base)")
    args = p.parse_args()
    ref = load_reference(args.reference)
    texts = [t for _, t in ref.TRICKY] + [t for _, t, _ in ref.PUBLISHED] + handmade() + fuzz(args.fuzz, seed=7)
    prose = ref.english_like_text(48_000, seed=11)
    texts += [prose[i:i + 800] for i in range(0, len(prose), 800)]
    seen, unique = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    os.makedirs(args.out, exist_ok=True)
    for name in ENCODINGS:
        enc = ref.get_encoding(name, args.vocab_dir)
        path = os.path.join(args.out, f"{name}.jsonl")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for t in unique:
                ids = enc.encode(t, allowed_special=set(), disallowed_special=())
                f.write(json.dumps({"text": t, "ids": ids}, ensure_ascii=False, separators=(",", ":")) + "\n")
            for t in special_strings():
                ids = enc.encode(t, allowed_special="all")
                f.write(json.dumps({"text": t, "ids": ids, "allow_special": True}, ensure_ascii=False,
                                   separators=(",", ":")) + "\n")
        print(f"{path}: {len(unique)} + {len(special_strings())} strings", file=sys.stderr)
    if args.hf:
        # Ground truth for the tokenizer.json loader is HF tokenizers itself (its regex engine
        # reads the exported pattern, which differs from tiktoken's at trailing whitespace).
        # tokenizers matches added (special) tokens in text even with add_special_tokens=False.
        from tokenizers import Tokenizer

        hf = Tokenizer.from_file(args.hf)
        subset = unique[::4] + special_strings()
        path = os.path.join(args.out, "hf_cl100k_base.jsonl")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for t in subset:
                ids = hf.encode(t, add_special_tokens=False).ids
                f.write(json.dumps({"text": t, "ids": ids, "allow_special": True}, ensure_ascii=False,
                                   separators=(",", ":")) + "\n")
        print(f"{path}: {len(subset)} strings", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
