# SPDX-License-Identifier: BSD-3-Clause
# i386, freestanding: the ZENEDGE x86 guest for QEMU (guests/x86-qemu).
# The host gcc in 32-bit mode: no cross compiler and no 32-bit libc are
# needed, since nothing is linked but our own objects (-nostdlib), so
# CMake's compiler check builds a static library instead of an executable.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR i386)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER gcc)
endif()
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_ASM_FLAGS_INIT "-m32")
