# Common tasks. `make test` is what CI runs.
.PHONY: build test bench-engine clean

build:
	bash scripts/install-deps.sh
	swift build

test:
	bash scripts/install-deps.sh
	swift test

# The in-process engine benchmark of docs/benchmarks.md.
bench-engine:
	swift build -c release --product libra-bench
	.build/release/libra-bench engine

clean:
	rm -rf .build
