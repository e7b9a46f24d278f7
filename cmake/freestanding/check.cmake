# SPDX-License-Identifier: BSD-3-Clause
# check.cmake - run by the freestanding build (target fs_check) after the
# libraries are built:
#  1. core + rtos (SIDE) reference no symbol they do not define but the
#     porting hooks (zport_*): no libc, no libgcc helper, no libatomic;
#  2. with the template port (PORT) nothing at all stays undefined;
#  3. the size report of SIDE, per object, into REPORT.
# Arguments: NM, SIZE (the cross tools), NAME (target name for the report),
# SIDE (list of libraries), PORT (library), REPORT (file), ALLOWED (the
# compiler helpers the target cannot avoid, from its toolchain file's
# ZENEDGE_ALLOWED_HELPERS: __mulsi3 on RV32I, which has no multiply).

function(symbols out_defined out_undefined)
  execute_process(COMMAND ${NM} --defined-only ${ARGN} OUTPUT_VARIABLE def RESULT_VARIABLE rc1 ERROR_QUIET)
  execute_process(COMMAND ${NM} -u ${ARGN} OUTPUT_VARIABLE und RESULT_VARIABLE rc2 ERROR_QUIET)
  if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${ARGN}")
  endif()
  # "addr T name" and "U name" lines; file headers ("x.o:") are dropped.
  string(REGEX MATCHALL "[0-9a-fA-F]+ [A-Za-z] [^\n]+" def_lines "${def}")
  set(defined "")
  foreach(l ${def_lines})
    string(REGEX REPLACE "^[0-9a-fA-F]+ [A-Za-z] " "" s "${l}")
    list(APPEND defined ${s})
  endforeach()
  string(REGEX MATCHALL "U [^\n]+" und_lines "${und}")
  set(undefined "")
  foreach(l ${und_lines})
    string(REGEX REPLACE "^U " "" s "${l}")
    list(FIND defined ${s} at)
    if(at EQUAL -1)
      list(APPEND undefined ${s})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES undefined)
  set(${out_defined} ${defined} PARENT_SCOPE)
  set(${out_undefined} ${undefined} PARENT_SCOPE)
endfunction()

symbols(defined undefined ${SIDE})
set(hooks ${undefined})
list(FILTER hooks INCLUDE REGEX "^zport_")
set(outside ${undefined})
list(FILTER outside EXCLUDE REGEX "^zport_")
if(ALLOWED)
  list(REMOVE_ITEM outside ${ALLOWED})
endif()
if(outside)
  string(REPLACE ";" "\n    " lines "${outside}")
  message(FATAL_ERROR "FAIL: ${NAME}: undefined symbols outside the porting layer:\n    ${lines}")
endif()
list(LENGTH hooks n_hooks)
message(STATUS "${NAME}: no undefined symbol outside the porting layer (${n_hooks} zport_* hooks; allowed helpers: ${ALLOWED})")

symbols(defined_all left ${SIDE} ${PORT})
if(left AND ALLOWED)
  list(REMOVE_ITEM left ${ALLOWED})
endif()
if(left)
  message(FATAL_ERROR "FAIL: ${NAME}: with the template port still undefined: ${left}")
endif()
message(STATUS "${NAME}: with the template port nothing is undefined")

file(WRITE ${REPORT} "")
foreach(lib ${SIDE})
  get_filename_component(base ${lib} NAME)
  execute_process(COMMAND ${SIZE} -t ${lib} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SIZE} failed on ${lib}")
  endif()
  string(REGEX REPLACE "\\(ex [^)]*\\)" "" out "${out}")
  file(APPEND ${REPORT} "== ${NAME} ${base}\n${out}")
endforeach()
