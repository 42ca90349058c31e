# Issue 15, hostile input and breakouts: the security suite's view on fixtures (unit), and the
# suite end to end through the CLI with every driver (root; host, ctvrt, runc, crun, runsc, podman
# and both VM drivers, ~25 s): ctvrt's default denies at least what runc's and crun's do, every
# container and the sandbox deny the host-reaching attempts, a VM acts on its own kernel only. The crafted images are in runtime.cmake
# (unit/image_crafted_test.cc); the fuzzers are a separate clang build (tests/fuzz, scripts/fuzz).
ctv_add_test(security_unit_test unit
  SOURCES unit/security_view_test.cc
  LIBS ctv_reports)

# One ctest entry for the whole binary: every test reads the same run of the suite.
add_executable(security_integration_test integration/suite_security_test.cc)
target_link_libraries(security_integration_test PRIVATE ctv_test_main ctv_results ctv_bench)
add_dependencies(security_integration_test ctvbench ctv-probe)
add_test(NAME SecuritySuiteRun COMMAND security_integration_test)
set_tests_properties(SecuritySuiteRun PROPERTIES LABELS integration TIMEOUT 600)
