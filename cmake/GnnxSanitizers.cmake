# GNNX_SANITIZE: the sanitizers that gnnx, and everything linked to it, is built with. It is a list
# of -fsanitize= names (GCC and Clang): "address;undefined" or "thread". Empty: none. The presets
# asan and tsan set it.
#
# The flags go on the gnnx target as PUBLIC options, not into CMAKE_CXX_FLAGS. The tests, the CLI,
# the examples and the benchmarks link gnnx::gnnx, so they are instrumented as well, with the same
# flags as the precompiled header they reuse. A program linked to a sanitized static gnnx, from the
# build tree or installed, also links the sanitizer runtime that gnnx's objects call into.
#
# Include this file after add_subdirectory(src): it adds options to the gnnx target.
set(GNNX_SANITIZE "" CACHE STRING "Sanitizers to build gnnx with: address;undefined, or thread (empty: none)")

if(GNNX_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "GNNX_SANITIZE needs GCC or Clang, got ${CMAKE_CXX_COMPILER_ID}")
  endif()
  foreach(_gnnx_sanitizer IN LISTS GNNX_SANITIZE)
    if(NOT _gnnx_sanitizer MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "GNNX_SANITIZE: expected address, undefined, thread or leak, got \"${_gnnx_sanitizer}\"")
    endif()
  endforeach()
  if("thread" IN_LIST GNNX_SANITIZE AND ("address" IN_LIST GNNX_SANITIZE OR "leak" IN_LIST GNNX_SANITIZE))
    message(FATAL_ERROR "GNNX_SANITIZE: thread cannot be combined with address or leak, got \"${GNNX_SANITIZE}\"")
  endif()

  list(JOIN GNNX_SANITIZE "," _gnnx_sanitizers)
  # Frame pointers give the sanitizers' reports whole stacks at little cost.
  set(_gnnx_sanitize_flags -fsanitize=${_gnnx_sanitizers} -fno-omit-frame-pointer)
  if("undefined" IN_LIST GNNX_SANITIZE)
    # Undefined behaviour stops the program, so that a test that runs into it fails instead of
    # printing a report nobody reads.
    list(APPEND _gnnx_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  target_compile_options(gnnx PUBLIC ${_gnnx_sanitize_flags})
  target_link_options(gnnx INTERFACE -fsanitize=${_gnnx_sanitizers})
  message(STATUS "gnnx: sanitizers ${_gnnx_sanitizers}")
  unset(_gnnx_sanitize_flags)
  unset(_gnnx_sanitizers)
endif()

# GNNX_FUZZ: libFuzzer targets for the file loaders (tests/fuzz/). gnnx gets coverage
# instrumentation (-fsanitize=fuzzer-no-link) so that libFuzzer sees which branches of the
# loaders an input reaches; each fuzz_<loader> program links libFuzzer's main. Clang only; with
# GNNX_SANITIZE=address;undefined (the fuzz preset) a memory error is a crash that libFuzzer keeps.
option(GNNX_FUZZ "Build the libFuzzer targets under tests/fuzz (needs Clang)" OFF)
if(GNNX_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GNNX_FUZZ needs Clang (libFuzzer), got ${CMAKE_CXX_COMPILER_ID}: "
                        "configure with -DCMAKE_CXX_COMPILER=clang++ or the fuzz preset")
  endif()
  target_compile_options(gnnx PUBLIC -fsanitize=fuzzer-no-link)
  message(STATUS "gnnx: libFuzzer targets (tests/fuzz)")
endif()
