# SPDX-License-Identifier: BSD-3-Clause
# RISC-V 32 base integer only (RV32I: no multiply or divide instruction,
# no atomics extension), freestanding, no libc: a multiplication or
# division by a non-constant would call __mulsi3 / __udivsi3 of libgcc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-march=rv32i -mabi=ilp32 -Os")
set(ZENEDGE_CROSS_PREFIX riscv64-unknown-elf-)
# The one helper this target's code calls: no multiply instruction
# (zenedge/ipc_arith.h, docs/porting.md).
set(ZENEDGE_ALLOWED_HELPERS __mulsi3)
# The reference applications (examples/footprint), sizes in the report;
# they link libgcc for __mulsi3.
set(ZENEDGE_APPS ON)
set(ZENEDGE_APP_LIBS gcc)
