# Runtime (issue 3) tests. Unit tests run without root on fixtures; integration tests need root.
add_library(ctv_runtime_testsupport STATIC support/runtime_image.cc support/runtime_env.cc
  support/private_cgroup_v1.cc
  support/crafted_tar.cc)
target_link_libraries(ctv_runtime_testsupport PUBLIC ctv_runtime ctv_image ctv_test_main
  PRIVATE PkgConfig::LIBARCHIVE)

add_executable(ctv-test-mkimage support/mkimage_main.cc)
target_link_libraries(ctv-test-mkimage PRIVATE ctv_runtime_testsupport)

ctv_add_test(runtime_unit_tests unit
  SOURCES unit/runtime_store_test.cc unit/image_crafted_test.cc unit/runtime_cgroup_test.cc unit/runtime_spec_test.cc
          unit/runtime_oci_test.cc unit/runtime_user_test.cc unit/runtime_console_test.cc
          unit/runtime_cgroup_resources_test.cc
  LIBS ctv_runtime_testsupport PkgConfig::LIBARCHIVE)

ctv_add_test(runtime_integration_tests integration
  SOURCES integration/runtime_container_test.cc integration/runtime_lifecycle_test.cc
          integration/runtime_oci_test.cc integration/runtime_oci_spec_test.cc
          integration/runtime_oci_resources_test.cc
  LIBS ctv_runtime_testsupport ctv_driver_ctvrt)
add_dependencies(runtime_integration_tests ctvrt)

# Container networking wired into ctvrt (issue 4): real `ctvrt run -d` containers on a bridge,
# subnet and nft table of the test's own.
ctv_add_test(netwire_integration_test integration
  SOURCES integration/netwire_test.cc
  LIBS ctv_runtime_testsupport nlohmann_json::nlohmann_json fmt::fmt)
add_dependencies(netwire_integration_test ctvrt ctv-probe)

# The cgroup v2 backend on a real kernel (this host is v1): ctvrt run inside a guest, one TCG boot.
ctv_add_test(runtime_cgroup_v2_vm_test integration
  SOURCES integration/runtime_cgroup_v2_test.cc integration/vm_test_env.cc
  LIBS ctv_runtime_testsupport ctv_vm_drivers ctv_bench nlohmann_json::nlohmann_json
  LOCK vm_boot)
add_dependencies(runtime_cgroup_v2_vm_test ctvrt ctv-init)
