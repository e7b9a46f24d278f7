# SPDX-License-Identifier: BSD-3-Clause
# AArch64 (e.g. Cortex-A53/R82 partition), freestanding: the Linux cross
# compiler is used only as a code generator; nothing of its libc is linked.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mgeneral-regs-only -Os")
set(ZENEDGE_CROSS_PREFIX aarch64-linux-gnu-)
# The ZENEDGE side gets -mgeneral-regs-only from cmake/freestanding as
# well (whatever the flags above), and the build checks the objects.
set(ZENEDGE_FP_CHECK ON)
