# SPDX-License-Identifier: BSD-3-Clause
# model_table.cmake - zenedge_model_table(<target> [MODELS_DIR <dir>]): the
# model table zenedge_models.h, generated at build time from every
# <dir>/<model>/model.ini (default: the project's models/) by
# gen_model_table.cmake, and put on the target's include path. Any build of
# the ZENEDGE side can include() this file; a build without CMake runs the
# generator itself (docs/models.md, "The generated table").
#
# The header is made again when a manifest changes and when a model folder
# comes or goes (the folders are dependencies too, and the glob is checked
# on every build), so adding a model needs no edit here.
function(zenedge_model_table target)
  cmake_parse_arguments(ZM "" "MODELS_DIR" "" ${ARGN})
  get_filename_component(top ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/.. ABSOLUTE)
  if(NOT ZM_MODELS_DIR)
    set(ZM_MODELS_DIR ${top}/models)
  endif()
  file(GLOB entries CONFIGURE_DEPENDS LIST_DIRECTORIES true ${ZM_MODELS_DIR}/*)
  file(GLOB manifests CONFIGURE_DEPENDS ${ZM_MODELS_DIR}/*/model.ini)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_models)
  set(out ${dir}/zenedge_models.h)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DMODELS_DIR=${ZM_MODELS_DIR} -DOUT=${out} -P ${top}/cmake/gen_model_table.cmake
    DEPENDS ${top}/cmake/gen_model_table.cmake ${top}/include/zenedge/ipc_proto.h ${top}/bridge/registry.h
            ${ZM_MODELS_DIR} ${entries} ${manifests}
    COMMENT "Generating the model table from the model manifests"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
  target_include_directories(${target} PRIVATE ${dir})
endfunction()
