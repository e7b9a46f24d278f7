# SPDX-License-Identifier: BSD-3-Clause
# The freestanding core: linked by the zenedge side and the bridge alike, and
# cross-built for the embedded targets (tests/freestanding/). No libc.
set(ZENEDGE_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/ipc_doorbell.c
  ${CMAKE_CURRENT_LIST_DIR}/ipc_errors.c
  ${CMAKE_CURRENT_LIST_DIR}/ipc_heap.c
  ${CMAKE_CURRENT_LIST_DIR}/ipc_region.c
  ${CMAKE_CURRENT_LIST_DIR}/ipc_ring.c
  ${CMAKE_CURRENT_LIST_DIR}/lat_hist.c
)
