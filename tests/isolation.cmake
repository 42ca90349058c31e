# The isolation suite (issue 14): the view's isolated/shared computation on fixtures (unit, no
# root) and the suite end to end through the CLI with the host and ctvrt drivers (root).
ctv_add_test(isolation_unit_test unit
  SOURCES unit/isolation_view_test.cc unit/isolation_probe_test.cc
  LIBS ctv_reports)

# Each test (one process under ctest) runs the suite, which maps host port 17190: one at a time.
ctv_add_test(isolation_integration_test integration
  SOURCES integration/suite_isolation_test.cc
  LIBS ctv_results ctv_reports
  LOCK isolation_port)
