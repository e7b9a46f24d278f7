# SPDX-License-Identifier: BSD-3-Clause
# Cortex-M4F, hard-float ABI (FPv4-SP), freestanding, no libc: what a board
# with an FPU and a hard-float application builds. The ZENEDGE side is
# compiled with -mgeneral-regs-only (cmake/freestanding) and the build
# checks that no FP register is used (fp-check.cmake).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os")
set(ZENEDGE_CROSS_PREFIX arm-none-eabi-)
set(ZENEDGE_FP_CHECK ON)
