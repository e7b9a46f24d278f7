# Entry points. Each target first installs the Debian packages it needs
# (scripts/install-deps.sh), then drives CMake.
#   make demo    the end-to-end demo on the default backend
#   make test    build and run the whole suite (plain, ASan+UBSan, TSan, cross)
#   make build   build only (build/)
#   make bench   the benchmark against the physical limit (QUICK=1: < 1 min)
#   make install PREFIX=/usr/local
JOBS   ?= 2
PREFIX ?= /usr/local
BUILD  ?= build

.PHONY: all build test demo bench install clean

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
	@if [ -x scripts/demo.sh ]; then scripts/demo.sh; else \
	  echo "make demo: the end-to-end demo is not part of this version yet; 'make test' runs what exists."; exit 1; fi

bench:
	@scripts/install-deps.sh bench
	@if [ -x scripts/bench.sh ]; then QUICK=$(QUICK) scripts/bench.sh; else \
	  echo "make bench: the benchmark is not part of this version yet."; exit 1; fi

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf build build-asan build-tsan build-*.log build.*.log
