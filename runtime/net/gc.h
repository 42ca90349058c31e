// Garbage collection of container networking left behind by crashed runs (`ctvbench gc`).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::net {

// Under the state lock of <state_root>/net: drops every endpoint whose host veth is gone (its
// namespace died, so the kernel removed the pair) and every `ctv*` veth enslaved to one of our
// bridges that no endpoint claims; deletes our bridges that no endpoint uses (those kept idle
// by NetworkConfig::keep_idle too); re-renders (or
// deletes) the nftables table so no rule outlives its endpoint. Endpoints whose veth still exists
// belong to running containers and are kept. Appends a line per removed object to `removed`
// (may be nullptr). Missing state is not an error. Temp files of state writers killed between
// write and rename (state.json.tmp.*) go too: every writer holds the lock gc holds.
Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed);

}  // namespace ctv::net
