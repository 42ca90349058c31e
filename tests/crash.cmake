# Crash safety, concurrency and full disks (issue 15, items 1, 4, 5): real ctvrt and ctvbench
# processes SIGKILLed at every fault point (core/fault_point.h), then gc; many at once; a tmpfs
# state or results dir that fills up or is read-only.
add_library(ctv_crash_testsupport STATIC integration/crash_support.cc integration/vm_test_env.cc)
target_link_libraries(ctv_crash_testsupport PUBLIC ctv_runtime_testsupport ctv_vm_drivers ctv_bench
                      nlohmann_json::nlohmann_json fmt::fmt)
ctv_add_test(crash_integration_test integration
  SOURCES integration/crash_fault_points_test.cc integration/crash_concurrency_test.cc
          integration/crash_disk_full_test.cc
  LIBS ctv_crash_testsupport)
add_dependencies(crash_integration_test ctvrt ctv-probe)
# The ones that boot guests (TCG here): serialised with the other VM tests.
ctv_add_test(crash_vm_integration_test integration
  SOURCES integration/crash_vm_test.cc
  LIBS ctv_crash_testsupport
  LOCK vm_boot)
add_dependencies(crash_vm_integration_test ctvrt ctv-probe ctv-init)
