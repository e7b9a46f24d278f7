# SPDX-License-Identifier: BSD-3-Clause
# The freestanding ZENEDGE side (contract layer, proxy driver, job table,
# liveness): no libc, cross-built for the embedded targets by
# cmake/freestanding (tests cross_*). Headers live next to them (include
# dir: this folder). One file per execution context (docs/porting.md).
set(ZENEDGE_RTOS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/contract.c
  ${CMAKE_CURRENT_LIST_DIR}/job_table.c
  ${CMAKE_CURRENT_LIST_DIR}/job_trace.c
  ${CMAKE_CURRENT_LIST_DIR}/lat_trace.c
  ${CMAKE_CURRENT_LIST_DIR}/liveness.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy_bufs.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy_complete.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy_mem.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy_setup.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy_submit.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy_wait.c
)
# The public headers (each compiles alone); proxy_internal.h is private.
set(ZENEDGE_RTOS_HEADERS
  ${CMAKE_CURRENT_LIST_DIR}/contract.h
  ${CMAKE_CURRENT_LIST_DIR}/lat_trace.h
  ${CMAKE_CURRENT_LIST_DIR}/proxy.h
  ${CMAKE_CURRENT_LIST_DIR}/proxy_types.h
  ${CMAKE_CURRENT_LIST_DIR}/zenedge_config.h
  ${CMAKE_CURRENT_LIST_DIR}/zport.h
)
