# SPDX-License-Identifier: BSD-3-Clause
# cross-build.cmake - configure and build cmake/freestanding for one
# embedded target, then print its checks and size report. The tests
# cross_<target> run it; by hand:
#   cmake -DTARGET=arm-none-eabi-cortex-m4 -DOUT=build-cm4 -P cmake/freestanding/cross-build.cmake
# TARGET names cmake/toolchains/<TARGET>.cmake. Prints "skipped: ..." (the
# tests' skip pattern) when the target's compiler is not installed.
get_filename_component(TOP ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(tc ${TOP}/cmake/toolchains/${TARGET}.cmake)
if(NOT EXISTS ${tc})
  message(FATAL_ERROR "unknown target ${TARGET} (no ${tc})")
endif()
file(STRINGS ${tc} prefix_line REGEX "^set\\(ZENEDGE_CROSS_PREFIX ")
string(REGEX REPLACE "^set\\(ZENEDGE_CROSS_PREFIX ([^)]*)\\)$" "\\1" prefix "${prefix_line}")
find_program(cc ${prefix}gcc)
if(NOT cc)
  message("skipped: ${prefix}gcc not installed")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${TOP}/cmake/freestanding -B ${OUT}
                        -DCMAKE_TOOLCHAIN_FILE=${tc} -DCMAKE_BUILD_TYPE=MinSizeRel
                        -DZENEDGE_TARGET_NAME=${TARGET}
                OUTPUT_VARIABLE log ERROR_VARIABLE log RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TARGET}: configure failed:\n${log}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${OUT}
                OUTPUT_VARIABLE log ERROR_VARIABLE log RESULT_VARIABLE rc)
# The checks' lines (and any compiler error) are in the build log.
string(REGEX MATCHALL "[^\n]*(FAIL|error:|warning:|porting layer|template port|FP/SIMD|footprint:)[^\n]*" lines "${log}")
string(REPLACE ";" "\n" lines "${lines}")
message("${lines}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TARGET}: freestanding build failed:\n${log}")
endif()
file(READ ${OUT}/size-report.txt report)
message("${report}")
if(EXISTS ${OUT}/app-report.txt)
  file(READ ${OUT}/app-report.txt report)
  message("${report}")
endif()
