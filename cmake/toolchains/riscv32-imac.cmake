# SPDX-License-Identifier: BSD-3-Clause
# RISC-V 32 (RV32IMAC, no FPU), freestanding, no libc: 64-bit shifts
# would call __ashldi3 / __lshrdi3 of libgcc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-march=rv32imac -mabi=ilp32 -Os")
set(ZENEDGE_CROSS_PREFIX riscv64-unknown-elf-)
# The reference applications (examples/footprint), sizes in the report.
set(ZENEDGE_APPS ON)
