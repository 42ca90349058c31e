# The peer drivers (issue 12): runc, crun, runsc (gVisor) and podman on the project's image.
# Unit tests on fixtures; integration tests with the real binaries (a missing one is skipped with
# its reason), root.
ctv_add_test(peers_unit_test unit
  SOURCES unit/peers_oci_config_test.cc unit/peers_common_test.cc
  LIBS ctv_driver_peers)
