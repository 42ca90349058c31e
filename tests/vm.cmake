# VM side: guest builder, domain XML, QEMU argv, accel probe, gc (unit); real boots (integration).
ctv_add_test(vm_unit_test unit
  SOURCES unit/vm_spec_test.cc unit/vm_domain_xml_test.cc unit/vm_initramfs_test.cc
          unit/vm_gc_test.cc unit/vm_disk_test.cc
  LIBS ctv_vm ctv_bench PkgConfig::LIBVIRT PkgConfig::LIBARCHIVE)
# Started and SIGKILLed by the gc integration test: a harness dying mid-boot.
add_executable(vm-kill-helper integration/vm_kill_helper.cc)
target_link_libraries(vm-kill-helper PRIVATE ctv_vm_drivers ctv_bench)
target_include_directories(vm-kill-helper PRIVATE ${CMAKE_SOURCE_DIR})
# Not ctv_add_test: guest boots take a resource lock so `ctest -j` never runs two at once
# (TCG boots are CPU-bound; two at a time only makes both slower and the timeouts tighter).
add_executable(vm_integration_test integration/vm_boot_test.cc integration/vm_gc_test.cc
               integration/vm_disk_boot_test.cc integration/vm_test_env.cc)
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
