# VM side: guest builder, domain XML, QEMU argv, accel probe, gc (unit); real boots (integration).
ctv_add_test(vm_unit_test unit
  SOURCES unit/vm_spec_test.cc unit/vm_domain_xml_test.cc unit/vm_initramfs_test.cc
          unit/vm_gc_test.cc unit/vm_disk_test.cc unit/vm_accel_test.cc
          unit/vm_distro_root_test.cc
  LIBS ctv_vm ctv_bench PkgConfig::LIBVIRT PkgConfig::LIBARCHIVE)
# Started and SIGKILLed by the gc integration test: a harness dying mid-boot.
add_executable(vm-kill-helper integration/vm_kill_helper.cc)
target_link_libraries(vm-kill-helper PRIVATE ctv_vm_drivers ctv_bench)
target_include_directories(vm-kill-helper PRIVATE ${CMAKE_SOURCE_DIR})
# Not ctv_add_test: guest boots take a resource lock so `ctest -j` never runs two at once
# (TCG boots are CPU-bound; two at a time only makes both slower and the timeouts tighter).
add_executable(vm_integration_test integration/vm_boot_test.cc integration/vm_gc_test.cc
               integration/vm_disk_boot_test.cc integration/vm_firmware_boot_test.cc
               integration/vm_micro_kernel_test.cc integration/vm_distro_boot_test.cc
               integration/vm_test_env.cc)
target_link_libraries(vm_integration_test PRIVATE ctv_test_main ctv_vm_drivers ctv_bench
                      nlohmann_json::nlohmann_json)
add_dependencies(vm_integration_test ctvbench ctv-probe)
gtest_discover_tests(vm_integration_test PROPERTIES LABELS integration RESOURCE_LOCK vm_boot
                     DISCOVERY_TIMEOUT 60)
add_dependencies(vm_integration_test vm-kill-helper ctv-init)
# Manual tool: per-phase medians for a driver and options (see its header).
add_executable(vm-phases integration/vm_phases.cc)
target_link_libraries(vm-phases PRIVATE ctv_vm_drivers ctv_bench)
target_include_directories(vm-phases PRIVATE ${CMAKE_SOURCE_DIR})
# A second libvirt host on this machine (sshd + libvirtd in namespaces of their own, reached over
# a veth with qemu+ssh://) for tests of remote URIs: integration/remote_libvirt_host.h.
add_executable(ctv-remote-init integration/remote_host/remote_init.cc)
add_library(ctv_remote_host STATIC integration/remote_libvirt_host.cc)
target_link_libraries(ctv_remote_host PUBLIC ctv_core ctv_vm PRIVATE PkgConfig::LIBVIRT fmt::fmt)
target_include_directories(ctv_remote_host PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_definitions(ctv_remote_host PRIVATE
  CTV_SOURCE_DIR="${CMAKE_SOURCE_DIR}" CTV_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
add_dependencies(ctv_remote_host ctv-remote-init)
add_executable(remote-host-kill-helper integration/remote_host/kill_helper.cc)
target_link_libraries(remote-host-kill-helper PRIVATE ctv_remote_host)
ctv_add_test(remote_libvirt_host_test integration
  SOURCES integration/remote_libvirt_host_test.cc
  LIBS ctv_remote_host PkgConfig::LIBVIRT)
add_dependencies(remote_libvirt_host_test remote-host-kill-helper)
# The vm driver against that remote host: upload, streams, remote accel=auto, AUTODESTROY.
ctv_add_test(vm_remote_test integration
  SOURCES integration/vm_remote_test.cc integration/vm_test_env.cc
  LIBS ctv_remote_host ctv_vm_drivers ctv_bench PkgConfig::LIBVIRT nlohmann_json::nlohmann_json
  LOCK vm_boot)
add_dependencies(vm_remote_test ctvbench ctv-probe ctv-init vm-kill-helper)
# scripts/preflight, and the remote host fixture on a simulated fresh machine (hide-paths.sh).
ctv_add_test(preflight_test integration
  SOURCES integration/preflight_test.cc
  LIBS ctv_core
  LOCK vm_boot)
add_dependencies(preflight_test remote_libvirt_host_test)
