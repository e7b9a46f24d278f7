# SPDX-License-Identifier: BSD-3-Clause
# accel.cmake - the accelerator backends of zenedge-bridged (docs/backends.md).
#
# Included by the CMakeLists.txt that builds the bridge library. Sets, for
# the includer to add to its target:
#   ZENEDGE_ACCEL_SOURCES       opencl.c (when OpenCL is found), cuda.c
#   ZENEDGE_ACCEL_LIBS          the OpenCL ICD loader, libdl
#   ZENEDGE_ACCEL_INCLUDE_DIRS  the OpenCL headers
#   ZENEDGE_ACCEL_DEFINITIONS   ZENEDGE_HAVE_OPENCL=1, ZENEDGE_HAVE_CUDA=1,
#                               ZENEDGE_CUDA_PTX_BUILD_DIR="..." (PTX built here)
#   ZENEDGE_HAVE_OPENCL, ZENEDGE_HAVE_CUDA, ZENEDGE_HAVE_PTX   ON/OFF
#   ZENEDGE_PTX_BUILD_DIR       where nvcc writes <name>/<name>.ptx
# and, from level_zero.cmake, level_zero.c (when the Level Zero headers are
# found), ZENEDGE_HAVE_LEVEL_ZERO, ZENEDGE_HAVE_SPIRV, ZENEDGE_SPIRV_BUILD_DIR,
# and builds the models' CUDA kernels to PTX (target zenedge_ptx) when nvcc
# is found, installing each next to its model's other files.
#
# The CUDA backend needs no CUDA header or library at build time: it loads
# the driver (libcuda.so.1) and NVRTC with dlopen at run time.

option(ZENEDGE_OPENCL "Build the OpenCL backend when the OpenCL headers and ICD loader are found" ON)
option(ZENEDGE_CUDA "Build the CUDA backend (driver API loaded at run time)" ON)
option(ZENEDGE_CUDA_PTX "Compile the models' CUDA kernels to PTX with nvcc when nvcc is found" ON)
set(ZENEDGE_CUDA_PTX_ARCH "compute_75" CACHE STRING
    "Virtual GPU architecture of the PTX written by nvcc (JIT-compiled by the driver for newer GPUs)")
set(ZENEDGE_MODELS_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/zenedge/models" CACHE STRING
    "Where the shipped models are installed (PTX files go to <dir>/<name>/)")

set(_zacc_dir ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(_zacc_models ${_zacc_dir}/../../models ABSOLUTE)

set(ZENEDGE_ACCEL_SOURCES "")
set(ZENEDGE_ACCEL_LIBS ${CMAKE_DL_LIBS})
set(ZENEDGE_ACCEL_INCLUDE_DIRS "")
set(ZENEDGE_ACCEL_DEFINITIONS "")
set(ZENEDGE_HAVE_OPENCL OFF)
set(ZENEDGE_HAVE_CUDA OFF)
set(ZENEDGE_HAVE_PTX OFF)
set(ZENEDGE_PTX_BUILD_DIR ${CMAKE_BINARY_DIR}/models-ptx)

# ---- OpenCL: headers + ICD loader (Debian: opencl-headers, ocl-icd-opencl-dev)
if(ZENEDGE_OPENCL)
  find_package(OpenCL QUIET)
  if(NOT OpenCL_FOUND)
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(ZENEDGE_PC_OPENCL QUIET OpenCL)
      if(ZENEDGE_PC_OPENCL_FOUND)
        find_library(_zacc_ocl_lib NAMES OpenCL HINTS ${ZENEDGE_PC_OPENCL_LIBRARY_DIRS})
        if(_zacc_ocl_lib)
          set(OpenCL_FOUND TRUE)
          set(OpenCL_LIBRARIES ${_zacc_ocl_lib})
          set(OpenCL_INCLUDE_DIRS ${ZENEDGE_PC_OPENCL_INCLUDE_DIRS})
        endif()
      endif()
    endif()
  endif()
  if(OpenCL_FOUND)
    set(ZENEDGE_HAVE_OPENCL ON)
    list(APPEND ZENEDGE_ACCEL_SOURCES ${_zacc_dir}/opencl.c)
    list(APPEND ZENEDGE_ACCEL_LIBS ${OpenCL_LIBRARIES})
    if(OpenCL_INCLUDE_DIRS)
      list(APPEND ZENEDGE_ACCEL_INCLUDE_DIRS ${OpenCL_INCLUDE_DIRS})
    endif()
    list(APPEND ZENEDGE_ACCEL_DEFINITIONS ZENEDGE_HAVE_OPENCL=1)
  else()
    message(STATUS "zenedge: OpenCL headers/loader not found: no OpenCL backend "
                   "(Debian: apt-get install opencl-headers ocl-icd-opencl-dev)")
  endif()
endif()

# ---- CUDA: always buildable (dlopen at run time); PTX when nvcc exists
if(ZENEDGE_CUDA)
  set(ZENEDGE_HAVE_CUDA ON)
  list(APPEND ZENEDGE_ACCEL_SOURCES ${_zacc_dir}/cuda.c)
  list(APPEND ZENEDGE_ACCEL_DEFINITIONS ZENEDGE_HAVE_CUDA=1)
  if(ZENEDGE_CUDA_PTX)
    find_program(ZENEDGE_NVCC nvcc HINTS ENV CUDA_PATH ENV CUDA_HOME /usr/local/cuda PATH_SUFFIXES bin)
    if(ZENEDGE_NVCC)
      set(ZENEDGE_HAVE_PTX ON)
    else()
      message(STATUS "zenedge: nvcc not found: no PTX at build time (the CUDA backend uses NVRTC at start "
                     "when libnvrtc is present)")
    endif()
  endif()
endif()

if(ZENEDGE_HAVE_PTX)
  list(APPEND ZENEDGE_ACCEL_DEFINITIONS "ZENEDGE_CUDA_PTX_BUILD_DIR=\"${ZENEDGE_PTX_BUILD_DIR}\"")
  if(NOT TARGET zenedge_ptx)
    file(GLOB _zacc_cu ${_zacc_models}/*/*.cu)
    set(_zacc_ptx_all "")
    foreach(_cu ${_zacc_cu})
      get_filename_component(_name ${_cu} NAME_WE)
      get_filename_component(_mdir ${_cu} DIRECTORY)
      get_filename_component(_mname ${_mdir} NAME)
      set(_ptx ${ZENEDGE_PTX_BUILD_DIR}/${_mname}/${_name}.ptx)
      add_custom_command(OUTPUT ${_ptx}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${ZENEDGE_PTX_BUILD_DIR}/${_mname}
        COMMAND ${ZENEDGE_NVCC} --ptx -arch=${ZENEDGE_CUDA_PTX_ARCH} --fmad=false -o ${_ptx} ${_cu}
        DEPENDS ${_cu}
        COMMENT "nvcc: ${_mname}/${_name}.cu -> PTX (${ZENEDGE_CUDA_PTX_ARCH})"
        VERBATIM)
      list(APPEND _zacc_ptx_all ${_ptx})
      install(FILES ${_ptx} DESTINATION ${ZENEDGE_MODELS_INSTALL_DIR}/${_mname})
    endforeach()
    add_custom_target(zenedge_ptx ALL DEPENDS ${_zacc_ptx_all})
  endif()
endif()

include(${_zacc_dir}/level_zero.cmake)

message(STATUS "zenedge: accelerator backends: opencl=${ZENEDGE_HAVE_OPENCL} cuda=${ZENEDGE_HAVE_CUDA} "
               "ptx=${ZENEDGE_HAVE_PTX} level_zero=${ZENEDGE_HAVE_LEVEL_ZERO} spirv=${ZENEDGE_HAVE_SPIRV}")
