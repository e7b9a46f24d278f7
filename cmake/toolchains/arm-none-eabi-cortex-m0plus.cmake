# SPDX-License-Identifier: BSD-3-Clause
# Cortex-M0+ (ARMv6-M, Thumb-1 subset, no divide instruction), freestanding,
# no libc: every copy must stay a loop and every division a constant one,
# or the compiler would call memcpy / __aeabi_uidiv.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m0plus -mthumb -Os")
set(ZENEDGE_CROSS_PREFIX arm-none-eabi-)
# -fno-jump-tables: a switch would otherwise call libgcc's
# __gnu_thumb1_case_* helpers on Thumb-1.
string(APPEND CMAKE_C_FLAGS_INIT " -fno-jump-tables")
# The reference applications (examples/footprint), sizes in the report.
set(ZENEDGE_APPS ON)
