// nf_tables through raw nfnetlink (NETLINK_NETFILTER): the NAT table applied as one batch, and
// whether a table exists. No libnftables: its start-up in a fresh `ctvrt` (dlopen of it and of
// libnftnl, libmnl, libxtables, libjansson, libgmp; nft_ctx_new; the cache it fetches from the
// kernel before each script) was ~9 ms of every `-p` launch, while the transaction itself is a
// fraction of a millisecond (docs/design-notes.md). The messages are built here from the kernel's
// UAPI headers (linux/netfilter/nf_tables.h); what they encode is exactly what nft 1.0.6 sends
// for NftText(t) (nat_rules.h), which the integration tests check by listing both tables.
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/net/nat_rules.h"

namespace ctv::net {

// Makes the kernel's `table ip <t.name>` equal to `t` in ONE nfnetlink batch (a transaction of
// nf_tables): the table and its base chains declared (a no-op when they exist), every rule of the
// table flushed, t.rules appended; or, when !t.present, the table added then deleted. The kernel
// applies a batch within the one sendmsg(2) that carries it, all or nothing: a process killed
// before the send changed nothing, after it everything; a failing message aborts the whole batch,
// and the error names that message (the rule in nft syntax).
Status ApplyNatTable(const NatTable& t);

// Whether `table ip <table>` exists in this network namespace.
Result<bool> NftTableExists(const std::string& table);

}  // namespace ctv::net
