# The freestanding ZENEDGE side (contract layer, proxy driver, job table,
# liveness): no libc, cross-built for the embedded targets by
# tests/rtos/freestanding_rtos.sh. Headers live next to them (include dir:
# this folder).
set(ZENEDGE_RTOS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/contract.c
  ${CMAKE_CURRENT_LIST_DIR}/job_table.c
  ${CMAKE_CURRENT_LIST_DIR}/lat_trace.c
  ${CMAKE_CURRENT_LIST_DIR}/liveness.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy.c
)
set(ZENEDGE_RTOS_HEADERS
  ${CMAKE_CURRENT_LIST_DIR}/contract.h
  ${CMAKE_CURRENT_LIST_DIR}/lat_trace.h
  ${CMAKE_CURRENT_LIST_DIR}/proxy.h
  ${CMAKE_CURRENT_LIST_DIR}/zenedge_config.h
  ${CMAKE_CURRENT_LIST_DIR}/zport.h
)
