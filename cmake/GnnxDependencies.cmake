# Finds what gnnx is built on. Torch comes from Debian's libtorch-dev (1.13) or from a
# LibTorch 2.x named through CMAKE_PREFIX_PATH / Torch_DIR.
find_package(Torch REQUIRED)
# CMake 3.30 dropped FindBoost (CMP0167); Boost >= 1.70 ships its own BoostConfig.cmake.
if(POLICY CMP0167)
  cmake_policy(SET CMP0167 NEW)
endif()
# Boost.Graph's compiled library holds the GraphML and DOT parsers (io/graph_file.h).
find_package(Boost 1.71 REQUIRED COMPONENTS graph)
find_package(TBB REQUIRED)
find_package(nlohmann_json 3.2 REQUIRED)
find_package(Threads REQUIRED)
# zlib: checking the entries of torch.save / TorchScript archives (CRC-32, inflating the
# compressed ones) before LibTorch parses them. libtorch-dev depends on zlib1g-dev.
find_package(ZLIB REQUIRED)
# Eigen: the dense matrices of prototype alignment (Sinkhorn, cost matrices). Header-only and
# used by sources only, so gnnx's headers and its installed package do not need it.
find_package(Eigen3 3.3 REQUIRED NO_MODULE)

# stb (image writing) is header-only for our use; Debian puts it under include/stb.
find_path(GNNX_STB_INCLUDE_DIR NAMES stb_image_write.h PATH_SUFFIXES stb REQUIRED)

# Torch < 2.0 exports its compile flags (the C++11 ABI switch) in TORCH_CXX_FLAGS only.
separate_arguments(GNNX_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")

if(Torch_VERSION)
  message(STATUS "gnnx: LibTorch ${Torch_VERSION}")
endif()

# As a subproject (add_subdirectory), the targets found above are visible only in gnnx's
# directories, but they are also read from the parent's: LibTorch's torch_cpu_library names
# torch_cpu in generator expressions ($<TARGET_PROPERTY:torch_cpu,...>), which CMake evaluates
# where the program linking gnnx::gnnx is defined. Promote what gnnx imported here to global
# targets. (Targets a parent found before adding gnnx are visible already and not listed.)
if(NOT GNNX_TOP_LEVEL)
  if(CMAKE_VERSION VERSION_LESS 3.21)
    message(STATUS "gnnx: with CMake < 3.21, call find_package(Torch) before add_subdirectory(gnnx)")
  else()
    get_directory_property(_gnnx_imported IMPORTED_TARGETS)
    foreach(_gnnx_target IN LISTS _gnnx_imported)
      set_property(TARGET ${_gnnx_target} PROPERTY IMPORTED_GLOBAL TRUE)
    endforeach()
    unset(_gnnx_imported)
  endif()
endif()
