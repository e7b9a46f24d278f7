# SPDX-License-Identifier: BSD-3-Clause
# fp-check.cmake - run by the freestanding build (target fs_fp_check) on
# the targets whose toolchain file sets ZENEDGE_FP_CHECK (Cortex-M4F
# hard-float, AArch64): disassemble the ZENEDGE-side libraries and fail
# on any instruction that names a floating-point or SIMD register (s0-s31,
# d0-d31, q0-q31, v0-v31) or is a VFP/NEON instruction (v...). The code
# runs in interrupt context (proxy_complete, proxy_tick) and a port must
# not have to save the FP state around it; the build compiles it with
# -mgeneral-regs-only (docs/porting.md).
# Arguments: OBJDUMP, NAME (target name), LIBS (list of archives).
set(bad "")
set(n_insn 0)
foreach(lib ${LIBS})
  execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${lib} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OBJDUMP} failed on ${lib}")
  endif()
  string(REPLACE ";" "," out "${out}")
  string(REPLACE "\n" ";" lines "${out}")
  set(fn "?")
  foreach(l ${lines})
    if(l MATCHES "^[0-9a-f]+ <([^>]+)>:")
      set(fn ${CMAKE_MATCH_1})
      continue()
    endif()
    # "  addr:<tab>mnemonic<tab>operands": drop branch targets ("1f4 <f+0x4>") and comments
    if(NOT l MATCHES "^ +[0-9a-f]+:\t([^\t]+)\t?(.*)$")
      continue()
    endif()
    math(EXPR n_insn "${n_insn} + 1")
    set(mn "${CMAKE_MATCH_1}")
    set(ops "${CMAKE_MATCH_2}")
    string(REGEX REPLACE "[0-9a-f]+ <[^>]*>" "" ops "${ops}")
    string(REGEX REPLACE "[;@/].*$" "" ops "${ops}")
    string(STRIP "${mn}" mn)
    if(mn MATCHES "^v" OR ops MATCHES "(^|[^a-z0-9_])[sdqv][0-9]+([^a-z0-9_]|$)")
      list(APPEND bad "${fn}: ${mn} ${ops}")
    endif()
  endforeach()
endforeach()
if(bad)
  list(LENGTH bad n)
  list(SUBLIST bad 0 20 first)
  string(REPLACE ";" "\n    " first "${first}")
  message(FATAL_ERROR "FAIL: ${NAME}: ${n} instructions use FP/SIMD registers:\n    ${first}")
endif()
message(STATUS "${NAME}: no FP/SIMD register in ${n_insn} instructions of the ZENEDGE side")
