# SPDX-License-Identifier: BSD-3-Clause
# RISC-V 64 (RV64IMAC, no FPU used), freestanding, no libc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-march=rv64imac -mabi=lp64 -mcmodel=medany -Os")
set(ZENEDGE_CROSS_PREFIX riscv64-unknown-elf-)
