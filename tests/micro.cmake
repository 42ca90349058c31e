# The micro suite and the regression gate (issue 17): the Google Benchmark JSON merge, its view and
# compare flagging an injected slowdown of one primitive or phase (unit, no root); the suite run
# through the CLI on the real ctv-micro binary (integration, root).
ctv_add_test(micro_unit_test unit
  SOURCES unit/micro_suite_test.cc
  LIBS ctv_bench ctv_reports)

ctv_add_test(micro_integration_test integration
  SOURCES integration/micro_cli_test.cc
  LIBS ctv_results)
