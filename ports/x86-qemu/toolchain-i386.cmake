# Toolchain file of the ZENEDGE x86 guest: the host gcc in 32-bit mode,
# freestanding. No cross compiler and no 32-bit libc are needed: nothing is
# linked but our own objects (-nostdlib), so CMake's compiler check builds
# a static library instead of an executable.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR i386)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER gcc)
endif()
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_ASM_FLAGS_INIT "-m32")
