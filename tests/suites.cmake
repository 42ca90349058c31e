# The syscall and cgroup suites (issue 14): unit tests of their report views and claims on
# fixture results and of the one cgroup accounting reader on fixture trees (no root); integration
# tests that run the suites through the CLI on real drivers (root).
ctv_add_test(suites_unit_test unit
  SOURCES unit/suite_views_sc_test.cc unit/cgroup_read_stats_test.cc
  LIBS ctv_reports ctv_runtime)

# Host ports the network and isolation suites hold for a run (no root).
ctv_add_test(held_port_unit_test unit
  SOURCES unit/held_port_test.cc
  LIBS ctv_bench ctv_net)

ctv_add_test(suites_integration_test integration
  SOURCES integration/suite_syscall_cgroup_test.cc
  LIBS ctv_results)
