# gnnx as a CMake package, two ways: installed (cmake --install, then find_package(gnnx) with the
# prefix on CMAKE_PREFIX_PATH), and straight from this build tree (find_package(gnnx) with gnnx_DIR
# set to the build directory, nothing installed). tests/packaging/ consumes both.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GNNX_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gnnx)

install(TARGETS gnnx EXPORT gnnxTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/gnnx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gnnxTargets NAMESPACE gnnx:: DESTINATION ${GNNX_INSTALL_CMAKEDIR})
# The installed config sits apart from the build tree's, which has the same name.
set(GNNX_PACKAGE_IS_BUILD_TREE OFF)
configure_package_config_file(cmake/gnnxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/install-config/gnnxConfig.cmake
  INSTALL_DESTINATION ${GNNX_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gnnxConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/install-config/gnnxConfig.cmake ${PROJECT_BINARY_DIR}/gnnxConfigVersion.cmake
  DESTINATION ${GNNX_INSTALL_CMAKEDIR})
# BSD-3-Clause: a binary distribution carries the licence. (Not CMAKE_INSTALL_DOCDIR: as a
# subproject, that names the parent project.)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/gnnx)
if(GNNX_BUILD_CLI)
  install(TARGETS gnnx_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The build tree as a package: its gnnx::gnnx names the library where it was built and the
# headers in the source tree, so a project can use gnnx without installing it.
export(EXPORT gnnxTargets NAMESPACE gnnx:: FILE ${PROJECT_BINARY_DIR}/gnnxTargets.cmake)
set(GNNX_PACKAGE_IS_BUILD_TREE ON)
configure_package_config_file(cmake/gnnxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gnnxConfig.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
  INSTALL_PREFIX ${PROJECT_BINARY_DIR})
