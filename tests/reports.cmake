# Reports area tests (issue 6). Unit tests need no root; report tests need gnuplot-nox, the
# Chromium test needs chromium (scripts/packages/reports.txt).
set(CTV_REPORTS_TEST_DEFS
  CTV_FIXTURES_DIR="${CMAKE_SOURCE_DIR}/tests/fixtures/results"
  CTV_BUILD_DIR="${CMAKE_BINARY_DIR}")

add_executable(reports_unit_test
  ${CMAKE_CURRENT_LIST_DIR}/unit/mann_whitney_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/compare_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/report_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/history_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/export_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/footprint_density_view_test.cc)
target_link_libraries(reports_unit_test PRIVATE ctv_reports ctv_test_main)
target_compile_definitions(reports_unit_test PRIVATE ${CTV_REPORTS_TEST_DEFS})
gtest_discover_tests(reports_unit_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)

# Runs the real ctvbench binary: exit codes, error messages, report + headless Chromium.
add_executable(reports_cli_test
  ${CMAKE_CURRENT_LIST_DIR}/integration/report_cli_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/integration/report_chromium_test.cc)
target_link_libraries(reports_cli_test PRIVATE ctv_results ctv_core ctv_test_main)
target_compile_definitions(reports_cli_test PRIVATE ${CTV_REPORTS_TEST_DEFS}
  CTVBENCH_BIN="$<TARGET_FILE:ctvbench>")
add_dependencies(reports_cli_test ctvbench)
gtest_discover_tests(reports_cli_test DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 300 LABELS integration)
