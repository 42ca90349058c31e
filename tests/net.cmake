# Container networking (issue 4): parser and allocator on temp dirs (unit); bridge, veth, NAT,
# port mappings and cleanup against namespaces the tests create themselves (integration, root).
ctv_add_test(net_unit_test unit
  SOURCES unit/net_port_spec_test.cc unit/net_allocator_test.cc unit/net_probe_test.cc
          unit/net_ruleset_test.cc unit/net_port_conflict_test.cc
  LIBS ctv_net nlohmann_json::nlohmann_json)
ctv_add_test(net_integration_test integration
  SOURCES integration/net_bridge_test.cc integration/nft_netlink_test.cc
  LIBS ctv_net)
