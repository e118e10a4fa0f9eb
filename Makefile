# tuneprep — build, test, demo and benchmark targets.
# Everything a target needs is installed by the target itself (see `vocab`).

SWIFT ?= swift
PREFIX ?= /usr/local
BIN := .build/release/tuneprep
DEBUG_BIN := .build/debug/tuneprep

.PHONY: all build release test demo install uninstall lint format golden bench ci clean completions

all: build

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# Every test: unit, conformance (reads ../shared/conformance or $$TUNEPREP_CONFORMANCE_DIR)
# and end-to-end golden tests that run the real binary.
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

# Builds tuneprep and validates the bundled samples: the good sets pass, the broken one shows
# every finding code.
demo: release
	@echo "== good samples: expect no errors"
	$(BIN) validate samples/chat.jsonl samples/alpaca.jsonl samples/sharegpt.jsonl
	@echo
	@echo "== broken sample: every finding code (exit status 1 is expected)"
	-$(BIN) validate samples/broken.jsonl

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tuneprep

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tuneprep

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
bench: release
	bash Benchmarks/run.sh

ci: test release

clean:
	rm -rf .build
