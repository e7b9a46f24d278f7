# SPDX-License-Identifier: BSD-3-Clause
# level_zero.cmake - the Level Zero backend of zenedge-bridged and the
# models' SPIR-V kernels (docs/backends.md, docs/models.md).
#
# Included by accel.cmake. The backend needs only the Level Zero headers
# (Debian: libze-dev) at build time; the loader (libze_loader.so.1,
# Debian: libze1) is opened with dlopen at run time. When clang and
# llvm-spirv are found (clang-15 and llvm-spirv-15 preferred, the pair
# Debian 12 ships), every model's OpenCL C source models/<name>/<name>.cl
# is compiled to SPIR-V (target zenedge_spirv) into
# ${ZENEDGE_SPIRV_BUILD_DIR}/<name>/<name>.spv and installed next to the
# model's other files. Without the tools the build still succeeds and the
# backend says, per model, that its kernel is missing.
# Appends to ZENEDGE_ACCEL_SOURCES / _INCLUDE_DIRS / _DEFINITIONS; sets
# ZENEDGE_HAVE_LEVEL_ZERO, ZENEDGE_HAVE_SPIRV, ZENEDGE_SPIRV_BUILD_DIR.

option(ZENEDGE_LEVEL_ZERO "Build the Level Zero backend when the Level Zero headers are found" ON)
option(ZENEDGE_SPIRV "Compile the models' OpenCL C kernels to SPIR-V when clang and llvm-spirv are found" ON)

set(ZENEDGE_HAVE_LEVEL_ZERO OFF)
set(ZENEDGE_HAVE_SPIRV OFF)
set(ZENEDGE_SPIRV_BUILD_DIR ${CMAKE_BINARY_DIR}/models-spirv)

if(ZENEDGE_LEVEL_ZERO)
  find_path(ZENEDGE_ZE_INCLUDE_DIR level_zero/ze_api.h)
  if(ZENEDGE_ZE_INCLUDE_DIR)
    set(ZENEDGE_HAVE_LEVEL_ZERO ON)
    list(APPEND ZENEDGE_ACCEL_SOURCES ${_zacc_dir}/level_zero.c)
    list(APPEND ZENEDGE_ACCEL_INCLUDE_DIRS ${ZENEDGE_ZE_INCLUDE_DIR})
    list(APPEND ZENEDGE_ACCEL_DEFINITIONS ZENEDGE_HAVE_LEVEL_ZERO=1)
  else()
    message(STATUS "zenedge: Level Zero headers not found: no Level Zero backend (Debian: apt-get install libze-dev)")
  endif()
endif()

if(ZENEDGE_HAVE_LEVEL_ZERO AND ZENEDGE_SPIRV)
  find_program(ZENEDGE_SPIRV_CLANG NAMES clang-15 clang)
  find_program(ZENEDGE_LLVM_SPIRV NAMES llvm-spirv-15 llvm-spirv)
  if(ZENEDGE_SPIRV_CLANG AND ZENEDGE_LLVM_SPIRV)
    set(ZENEDGE_HAVE_SPIRV ON)
  else()
    message(STATUS "zenedge: clang and llvm-spirv not both found: no SPIR-V kernels, the Level Zero backend "
                   "will report each model's kernel missing (Debian: apt-get install clang-15 llvm-spirv-15)")
  endif()
endif()

if(ZENEDGE_HAVE_SPIRV)
  list(APPEND ZENEDGE_ACCEL_DEFINITIONS "ZENEDGE_SPIRV_BUILD_DIR=\"${ZENEDGE_SPIRV_BUILD_DIR}\"")
  if(NOT TARGET zenedge_spirv)
    file(GLOB _zze_cl ${_zacc_models}/*/*.cl)
    set(_zze_all "")
    foreach(_cl ${_zze_cl})
      get_filename_component(_name ${_cl} NAME_WE)
      get_filename_component(_mdir ${_cl} DIRECTORY)
      get_filename_component(_mname ${_mdir} NAME)
      set(_out ${ZENEDGE_SPIRV_BUILD_DIR}/${_mname})
      add_custom_command(OUTPUT ${_out}/${_name}.spv
        COMMAND ${CMAKE_COMMAND} -E make_directory ${_out}
        COMMAND ${ZENEDGE_SPIRV_CLANG} -cl-std=CL1.2 -target spir64 -emit-llvm -c -o ${_out}/${_name}.bc ${_cl}
        COMMAND ${ZENEDGE_LLVM_SPIRV} -o ${_out}/${_name}.spv ${_out}/${_name}.bc
        DEPENDS ${_cl}
        COMMENT "SPIR-V: ${_mname}/${_name}.cl -> ${_name}.spv"
        VERBATIM)
      list(APPEND _zze_all ${_out}/${_name}.spv)
      install(FILES ${_out}/${_name}.spv DESTINATION ${ZENEDGE_MODELS_INSTALL_DIR}/${_mname})
    endforeach()
    add_custom_target(zenedge_spirv ALL DEPENDS ${_zze_all})
  endif()
endif()
