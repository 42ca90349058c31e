# Footprint and density suites (issue 13): the memory reader on fixtures (no root), and both suites
# end to end on the real host (root: containers), cross-checked with smem.
ctv_add_test(footprint_unit_test unit
  SOURCES unit/host_memory_test.cc
  LIBS ctv_bench)
ctv_add_test(footprint_integration_test integration
  SOURCES integration/suite_footprint_density_test.cc
  LIBS ctv_bench nlohmann_json::nlohmann_json)
