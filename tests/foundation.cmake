# Foundation: core, results schema, image layout, cgroup detection, probe, CLI, host driver.
ctv_add_test(core_unit_test unit
  SOURCES unit/stats_test.cc unit/error_test.cc unit/process_test.cc unit/fault_point_test.cc
          unit/atomic_file_test.cc unit/owned_dir_test.cc unit/text_test.cc
          unit/clock_test.cc
  LIBS ctv_core)
ctv_add_test(results_unit_test unit
  SOURCES unit/results_test.cc
  LIBS ctv_results)
ctv_add_test(image_unit_test unit
  SOURCES unit/image_layout_test.cc
  LIBS ctv_bench ctv_image)
ctv_add_test(cgroup_detect_unit_test unit
  SOURCES unit/cgroup_detect_test.cc
  LIBS ctv_cgroup_detect)
ctv_add_test(layers_unit_test unit
  SOURCES unit/layers_test.cc
  LIBS ctv_core)
ctv_add_test(cli_unit_test unit
  SOURCES unit/cli_test.cc unit/probe_test.cc
  LIBS ctv_core nlohmann_json::nlohmann_json)
ctv_add_test(foundation_integration_test integration
  SOURCES integration/host_startup_test.cc integration/image_tools_test.cc
  LIBS ctv_results ctv_core nlohmann_json::nlohmann_json)
ctv_add_test(gc_integration_test integration
  SOURCES integration/gc_cli_test.cc
  LIBS ctv_core
  LOCK vm_boot)
