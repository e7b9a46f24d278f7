# SPDX-License-Identifier: BSD-3-Clause
# nc.cmake - the non-coherent variant, built in the plain build tree: core
# and rtos/ a second time with IPC_CONFIG_NONCOHERENT (the cache hooks of
# ipc_cache.h are real calls) and IPC_CONFIG_BARRIER_TRACE (every acquire
# and release reports itself, barrier.h), linked with the recording port
# nc_port.c instead of a board's hooks. The tests of tests/unit and
# tests/rtos built with zenedge_nc_test() run against it (names nc_*).
include(${PROJECT_SOURCE_DIR}/core/sources.cmake)
include(${PROJECT_SOURCE_DIR}/rtos/sources.cmake)

add_library(zenedge_nc_port STATIC ${CMAKE_CURRENT_LIST_DIR}/nc_port.c)
target_include_directories(zenedge_nc_port PUBLIC ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(zenedge_nc_port PUBLIC IPC_CONFIG_NONCOHERENT IPC_CONFIG_BARRIER_TRACE)
zenedge_warnings(zenedge_nc_port)

add_library(zenedge_core_nc STATIC ${ZENEDGE_CORE_SOURCES})
target_link_libraries(zenedge_core_nc PUBLIC zenedge_nc_port)
target_compile_options(zenedge_core_nc PRIVATE -ffreestanding
  $<$<C_COMPILER_ID:GNU>:-fno-tree-loop-distribute-patterns>)
zenedge_warnings(zenedge_core_nc)

add_library(zenedge_rtos_nc STATIC ${ZENEDGE_RTOS_SOURCES})
target_include_directories(zenedge_rtos_nc PUBLIC ${PROJECT_SOURCE_DIR}/rtos)
target_compile_definitions(zenedge_rtos_nc PUBLIC
  ZEN_CFG_MAX_JOBS=${ZENEDGE_SIM_MAX_JOBS}u
  ZEN_CFG_HEAP_MAX_BLOCKS=${ZENEDGE_SIM_HEAP_BLOCKS}u
  ZEN_CFG_MAX_MODELS=16u)
target_link_libraries(zenedge_rtos_nc PUBLIC zenedge_core_nc)
target_compile_options(zenedge_rtos_nc PRIVATE -ffreestanding
  $<$<C_COMPILER_ID:GNU>:-fno-tree-loop-distribute-patterns>)
zenedge_warnings(zenedge_rtos_nc)

# The rtos fixtures and the POSIX port, against the variant.
add_library(zenedge_test_rtos_nc STATIC
  ${CMAKE_CURRENT_LIST_DIR}/rtos_fixture.c ${CMAKE_CURRENT_LIST_DIR}/loopback.c
  ${CMAKE_CURRENT_LIST_DIR}/hand_bridge.c ${PROJECT_SOURCE_DIR}/ports/posix/port.c)
target_include_directories(zenedge_test_rtos_nc PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/ports/posix)
target_link_libraries(zenedge_test_rtos_nc PUBLIC zenedge_rtos_nc Threads::Threads)
zenedge_warnings(zenedge_test_rtos_nc)

# zenedge_nc_test(NAME name SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s]):
# like zenedge_test(), linked with the variant instead of zenedge_core.
function(zenedge_nc_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/helpers)
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} zenedge_core_nc)
  zenedge_warnings(${T_NAME})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT ${T_TIMEOUT}
                       LABELS "nc;${T_LABELS}")
endfunction()
