# SPDX-License-Identifier: BSD-3-Clause
# cross-nc.cmake - the non-coherent ZENEDGE side (core + rtos/ + the
# template port with IPC_CONFIG_NONCOHERENT) cross-compiled once per core
# that has a data cache the template port knows: Cortex-M7 and AArch64.
# Each object is compiled with the flags of cmake/freestanding; then
#  1. core + rtos leave nothing undefined but the zport_* hooks and the
#     two cache hooks ipc_cache_clean / ipc_cache_invalidate;
#  2. with the template port nothing at all stays undefined.
# The test cross_noncoherent runs it:
#   cmake -DOUT=build-nc -P tests/freestanding/cross-nc.cmake
# Prints "skipped: ..." for a core whose compiler is not installed.
cmake_minimum_required(VERSION 3.18)
get_filename_component(TOP ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
include(${TOP}/core/sources.cmake)
include(${TOP}/rtos/sources.cmake)
set(flags -std=c11 -Os -ffreestanding -nostdlib -fno-builtin -fno-tree-loop-distribute-patterns
    -Wall -Wextra -Wcast-align -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wundef -Werror
    -DIPC_CONFIG_NONCOHERENT -I${TOP}/include -I${TOP}/rtos -I${TOP}/ports/template)

function(undefined_of out)
  execute_process(COMMAND ${ld} -r -o ${dir}/all.o ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "FAIL: ${name}: ${ld} -r: ${err}")
  endif()
  execute_process(COMMAND ${nm} -u ${dir}/all.o OUTPUT_VARIABLE und RESULT_VARIABLE rc)
  string(REGEX MATCHALL "U [^\n]+" lines "${und}")
  string(REPLACE "U " "" syms "${lines}")
  set(${out} "${syms}" PARENT_SCOPE)
endfunction()

foreach(t "cortex-m7;arm-none-eabi-;-mcpu=cortex-m7;-mthumb" "aarch64;aarch64-linux-gnu-;-mgeneral-regs-only")
  list(GET t 0 name)
  list(GET t 1 prefix)
  list(SUBLIST t 2 -1 cpu)
  find_program(cc_${name} ${prefix}gcc)
  if(NOT cc_${name})
    message("skipped: ${name}: ${prefix}gcc not installed")
    continue()
  endif()
  set(cc ${cc_${name}})
  set(ld ${prefix}ld)
  set(nm ${prefix}nm)
  set(dir ${OUT}/${name})
  file(MAKE_DIRECTORY ${dir})
  set(side "")
  foreach(src ${ZENEDGE_CORE_SOURCES} ${ZENEDGE_RTOS_SOURCES} ${TOP}/ports/template/port.c)
    get_filename_component(base ${src} NAME_WE)
    get_filename_component(parent ${src} DIRECTORY)
    get_filename_component(parent ${parent} NAME)
    set(obj ${dir}/${parent}_${base}.o)
    execute_process(COMMAND ${cc} ${cpu} ${flags} -c ${src} -o ${obj} RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "FAIL: ${name}: ${src}:\n${err}")
    endif()
    if(NOT src MATCHES "ports/template")
      list(APPEND side ${obj})
    else()
      set(port ${obj})
    endif()
  endforeach()
  undefined_of(und ${side})
  set(outside ${und})
  list(FILTER outside EXCLUDE REGEX "^(zport_|ipc_cache_clean$|ipc_cache_invalidate$)")
  if(outside)
    message(FATAL_ERROR "FAIL: ${name}: non-coherent core + rtos leave undefined: ${outside}")
  endif()
  foreach(hook ipc_cache_clean ipc_cache_invalidate)
    if(NOT hook IN_LIST und)
      message(FATAL_ERROR "FAIL: ${name}: ${hook} is not called: IPC_CONFIG_NONCOHERENT had no effect")
    endif()
  endforeach()
  undefined_of(left ${side} ${port})
  if(left)
    message(FATAL_ERROR "FAIL: ${name}: with the template port still undefined: ${left}")
  endif()
  message("${name}: non-coherent core + rtos + template port: nothing undefined")
endforeach()
