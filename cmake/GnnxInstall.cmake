include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS gnnx EXPORT gnnxTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/gnnx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gnnxTargets NAMESPACE gnnx:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gnnx)
configure_package_config_file(cmake/gnnxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gnnxConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gnnx)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gnnxConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gnnxConfig.cmake ${PROJECT_BINARY_DIR}/gnnxConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gnnx)
if(GNNX_BUILD_CLI)
  install(TARGETS gnnx_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
