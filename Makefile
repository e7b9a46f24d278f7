# SPDX-License-Identifier: BSD-3-Clause
# Entry points. Each target first installs the Debian packages it needs
# (scripts/install-deps.sh), then drives CMake.
#   make demo    the end-to-end demo on the default backend
#                (PARTITIONS=2..4: that many ZENEDGE partitions on one daemon)
#   make test    build and run the whole suite (plain, ASan+UBSan, TSan, cross)
#   make build   build only (build/)
#   make demo-qemu  the ZENEDGE side as a bare-metal guest in QEMU (ivshmem)
#   make bench   the benchmark against the physical limit (QUICK=1: < 1 min)
#   make verify  SPIN models and Frama-C analyses (docs/verification.md)
#   make install PREFIX=/usr/local
#   make figures the footprint table and demo lines README.md quotes, from this machine
#   make deb     the Debian packages (debian/) in build-deb/, checked by lintian
#   make fuzz    libFuzzer (clang) on every fuzz/ target, SECONDS=N each
#                (default 60), growing and minimising fuzz/corpus/
JOBS   ?= 2
PREFIX ?= /usr/local
BUILD  ?= build
PARTITIONS ?= 1

.PHONY: all build test demo demo-qemu bench verify install deb clean figures fuzz

all: build

build:
	@scripts/install-deps.sh build
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test:
	@scripts/install-deps.sh test
	@JOBS=$(JOBS) scripts/run-tests.sh

demo:
	@scripts/install-deps.sh demo
	@BUILD=$(BUILD) JOBS=$(JOBS) PARTITIONS=$(PARTITIONS) scripts/demo.sh

demo-qemu:
	@scripts/install-deps.sh demo-qemu
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@scripts/demo-qemu.sh --build-dir $(BUILD)

# Both sides pinned to CPU 0 and CPU 1; results in $(BUILD)/results/.
bench:
	@scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) --target $(if $(QUICK),bench-quick,bench)

# The ctest label "verify": every model, its broken variants, the anchor
# check, EVA and WP.
verify:
	@scripts/install-deps.sh verify
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
	@ctest --test-dir $(BUILD) -L verify -j$(JOBS) --output-on-failure

SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh fuzz
	@JOBS=$(JOBS) scripts/fuzz.sh $(SECONDS)

install: build
	@cmake --install $(BUILD)

figures:
	@scripts/install-deps.sh demo
	@scripts/install-deps.sh test
	@BUILD=$(BUILD) JOBS=$(JOBS) scripts/figures.sh

deb:
	@scripts/install-deps.sh deb
	@JOBS=$(JOBS) scripts/build-deb.sh build-deb

clean:
	rm -rf build build-asan build-tsan build-deb build-fuzz build-*.log build.*.log results
