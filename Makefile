# Common tasks. `make test` is what CI runs.
.PHONY: build test bench-engine verify clean

build:
	bash scripts/install-deps.sh
	swift build

test:
	bash scripts/install-deps.sh
	swift test

# The in-process engine benchmark of docs/benchmarks.md.
bench-engine:
	bash scripts/install-deps.sh
	swift build -c release --product libra-bench
	.build/release/libra-bench engine

# Offline recovery and invariant check of ./data (or DATA_DIR=...).
verify:
	bash scripts/install-deps.sh
	swift build -c release --product libra
	.build/release/libra verify --data-dir $(or $(DATA_DIR),./data)

clean:
	rm -rf .build
