# The peer drivers (issue 12): runc, crun, runsc (gVisor) and podman on the project's image.
# Unit tests on fixtures; integration tests with the real binaries (a missing one is skipped with
# its reason), root.
ctv_add_test(peers_unit_test unit
  SOURCES unit/peers_oci_config_test.cc unit/peers_common_test.cc
  LIBS ctv_driver_peers)

add_executable(peer-kill-helper integration/peer_kill_helper.cc)
target_link_libraries(peer-kill-helper PRIVATE ctv_bench)

ctv_add_test(peers_integration_test integration
  SOURCES integration/peers_env.cc integration/peers_bundle_test.cc
          integration/peers_driver_test.cc integration/peers_cli_test.cc
  LIBS ctv_bench ctv_driver_peers)
add_dependencies(peers_integration_test peer-kill-helper)
