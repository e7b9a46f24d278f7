# SPDX-License-Identifier: BSD-3-Clause
# Cortex-R5 (ARMv7-R, ARM state), freestanding, no libc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-r5 -marm -Os")
set(ZENEDGE_CROSS_PREFIX arm-none-eabi-)
# The reference applications (examples/footprint), sizes in the report.
set(ZENEDGE_APPS ON)
