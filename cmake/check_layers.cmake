# Fails when a header or source of the library includes a layer above its own.
#   cmake -DGNNX_SOURCE_DIR=<repo> -P cmake/check_layers.cmake
# The layers, bottom to top; docs/architecture.md explains them. A file in include/gnnx/<layer>/
# or src/<layer>/ may include "gnnx/<other>/..." (or a private "src/<other>/..." header) only when
# <other> comes no later in this list. gnnx/gnnx.h, the umbrella header, includes everything.
set(GNNX_LAYERS core graph io nn datasets attribution explain metrics eval viz cli)

if(NOT GNNX_SOURCE_DIR)
  message(FATAL_ERROR "check_layers: pass -DGNNX_SOURCE_DIR=<repository root>")
endif()

file(GLOB_RECURSE _files RELATIVE "${GNNX_SOURCE_DIR}"
  "${GNNX_SOURCE_DIR}/include/gnnx/*.h" "${GNNX_SOURCE_DIR}/src/*.h" "${GNNX_SOURCE_DIR}/src/*.cpp"
  "${GNNX_SOURCE_DIR}/src/*.cu")
string(REPLACE ";" "|" _alternatives "${GNNX_LAYERS}")
set(_violations "")
set(_checked 0)
foreach(_file IN LISTS _files)
  if(_file MATCHES "^include/gnnx/([a-z_]+)/")
    set(_own "${CMAKE_MATCH_1}")
  elseif(_file MATCHES "^src/([a-z_]+)/")
    set(_own "${CMAKE_MATCH_1}")
  else()
    continue()  # gnnx/gnnx.h and src/CMake glue
  endif()
  list(FIND GNNX_LAYERS "${_own}" _own_rank)
  if(_own_rank EQUAL -1)
    list(APPEND _violations "${_file}: folder '${_own}' is not a layer (add it to GNNX_LAYERS in cmake/check_layers.cmake)")
    continue()
  endif()
  math(EXPR _checked "${_checked} + 1")
  file(STRINGS "${GNNX_SOURCE_DIR}/${_file}" _includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(_line IN LISTS _includes)
    if(_line MATCHES "#[ \t]*include[ \t]*[<\"](gnnx/)?(${_alternatives})/")
      set(_target "${CMAKE_MATCH_2}")
      list(FIND GNNX_LAYERS "${_target}" _target_rank)
      if(_target_rank GREATER _own_rank)
        string(STRIP "${_line}" _line)
        list(APPEND _violations "${_file} (layer ${_own}) includes layer ${_target} above it: ${_line}")
      endif()
    endif()
  endforeach()
endforeach()

list(LENGTH _violations _count)
if(_count GREATER 0)
  string(REPLACE ";" "\n  " _report "${_violations}")
  message(FATAL_ERROR "check_layers: ${_count} include(s) run up the layers:\n  ${_report}")
endif()
message(STATUS "check_layers: ${_checked} files, every include runs down the layers")
