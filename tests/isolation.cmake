# The isolation suite (issue 14): the view's isolated/shared computation on fixtures and the probe's
# isolation modes (unit, no root), and the suite end to end through the CLI with the host and
# ctvrt drivers (root).
ctv_add_test(isolation_unit_test unit
  SOURCES unit/isolation_view_test.cc unit/isolation_probe_test.cc
  LIBS ctv_reports)

# One ctest entry for the whole binary, not one per test: every test reads the same run of the
# suite (~15 s), which a process per test would repeat. It maps host port 17190: one at a time.
add_executable(isolation_integration_test integration/suite_isolation_test.cc)
target_link_libraries(isolation_integration_test PRIVATE ctv_test_main ctv_results ctv_reports)
add_dependencies(isolation_integration_test ctvbench ctv-probe)
add_test(NAME IsolationSuiteRun COMMAND isolation_integration_test)
set_tests_properties(IsolationSuiteRun PROPERTIES LABELS integration TIMEOUT 300
                     RESOURCE_LOCK isolation_port)
