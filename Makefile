# Common tasks. `make test` is what CI runs.
.PHONY: build run test bench-engine verify clean

# Start the server with its defaults: data in ./data, protocol on 7654, HTTP on 8080.
# Extra flags: make run ARGS="--fsync never --port 7000"
run:
	bash scripts/install-deps.sh
	swift build -c release --product libra
	.build/release/libra serve $(ARGS)

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
