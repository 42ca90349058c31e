# Runtime (issue 3) tests. Unit tests run without root on fixtures; integration tests need root.
add_library(ctv_runtime_testsupport STATIC support/runtime_image.cc)
target_link_libraries(ctv_runtime_testsupport PUBLIC ctv_runtime ctv_image)

add_executable(ctv-test-mkimage support/mkimage_main.cc)
target_link_libraries(ctv-test-mkimage PRIVATE ctv_runtime_testsupport)

set(CTV_RUNTIME_UNIT_TESTS
  unit/runtime_store_test.cc
  unit/runtime_cgroup_test.cc
  unit/runtime_spec_test.cc)
add_executable(runtime_unit_tests ${CTV_RUNTIME_UNIT_TESTS})
target_link_libraries(runtime_unit_tests PRIVATE ctv_runtime_testsupport GTest::gtest_main
                      nlohmann_json::nlohmann_json)
gtest_discover_tests(runtime_unit_tests PROPERTIES LABELS "unit;runtime")

set(CTV_RUNTIME_INTEGRATION_TESTS
  integration/runtime_container_test.cc
  integration/runtime_lifecycle_test.cc)
add_executable(runtime_integration_tests ${CTV_RUNTIME_INTEGRATION_TESTS})
target_link_libraries(runtime_integration_tests PRIVATE ctv_runtime_testsupport GTest::gtest_main)
add_dependencies(runtime_integration_tests ctvrt ctv-probe)
gtest_discover_tests(runtime_integration_tests PROPERTIES LABELS "integration;runtime"
                     DISCOVERY_TIMEOUT 30)
