#include "runtime/net/nft_netlink.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

#include "core/fault_point.h"
#include "core/fd.h"
#include "runtime/net/ipv4.h"

namespace ctv::net {
namespace {

constexpr uint16_t NftType(int msg) { return (NFNL_SUBSYS_NFTABLES << 8) | msg; }

// Appends netlink messages (nlmsghdr + nfgenmsg + attributes) to one buffer: the batch. Lengths
// are patched by offset when a message or a nested attribute ends (the buffer may move).
class MsgWriter {
 public:
  // Starts a message and returns its sequence number.
  uint32_t Begin(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id = 0) {
    msg_ = buf_.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    h.nlmsg_seq = ++seq_;
    Append(&h, sizeof h);
    nfgenmsg g{};
    g.nfgen_family = family;
    g.version = NFNETLINK_V0;
    g.res_id = htons(res_id);
    Append(&g, sizeof g);
    return seq_;
  }
  void End() { Patch<uint32_t>(msg_, static_cast<uint32_t>(buf_.size() - msg_)); }
  // Sets NLM_F_ACK on the message begun last; returns its sequence number.
  uint32_t RequestAck() {
    nlmsghdr h;
    std::memcpy(&h, &buf_[msg_], sizeof h);
    h.nlmsg_flags |= NLM_F_ACK;
    std::memcpy(&buf_[msg_], &h, sizeof h);
    return h.nlmsg_seq;
  }

  void Put(uint16_t type, const void* data, size_t len) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
    Append(&a, sizeof a);
    Append(data, len);
    buf_.resize(NLA_ALIGN(buf_.size()), '\0');
  }
  void PutStr(uint16_t type, const std::string& s) { Put(type, s.c_str(), s.size() + 1); }
  // nf_tables' integer attributes are big-endian.
  void PutBe32(uint16_t type, uint32_t v) {
    v = htonl(v);
    Put(type, &v, sizeof v);
  }
  size_t Nest(uint16_t type) {
    size_t at = buf_.size();
    nlattr a{0, static_cast<uint16_t>(type | NLA_F_NESTED)};
    Append(&a, sizeof a);
    return at;
  }
  void EndNest(size_t at) { Patch<uint16_t>(at, static_cast<uint16_t>(buf_.size() - at)); }

  const std::string& Bytes() const { return buf_; }

 private:
  void Append(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  template <class T>
  void Patch(size_t at, T v) {
    std::memcpy(&buf_[at], &v, sizeof v);
  }
  std::string buf_;
  size_t msg_ = 0;
  uint32_t seq_ = 0;
};

// ---- expressions: each as nft 1.0.6 linearizes it (compare `nft --debug=netlink`) ----

struct Blob {
  const void* p;
  size_t n;
};

template <class F>
void Expr(MsgWriter& w, const char* name, F body) {
  size_t elem = w.Nest(NFTA_LIST_ELEM);
  w.PutStr(NFTA_EXPR_NAME, name);
  size_t data = w.Nest(NFTA_EXPR_DATA);
  body();
  w.EndNest(data);
  w.EndNest(elem);
}

void Value(MsgWriter& w, uint16_t attr, Blob v) {
  size_t n = w.Nest(attr);
  w.Put(NFTA_DATA_VALUE, v.p, v.n);
  w.EndNest(n);
}

void Cmp(MsgWriter& w, nft_cmp_ops op, Blob v) {
  Expr(w, "cmp", [&] {
    w.PutBe32(NFTA_CMP_SREG, NFT_REG_1);
    w.PutBe32(NFTA_CMP_OP, op);
    Value(w, NFTA_CMP_DATA, v);
  });
}

void Payload(MsgWriter& w, nft_payload_bases base, uint32_t offset, uint32_t len) {
  Expr(w, "payload", [&] {
    w.PutBe32(NFTA_PAYLOAD_DREG, NFT_REG_1);
    w.PutBe32(NFTA_PAYLOAD_BASE, base);
    w.PutBe32(NFTA_PAYLOAD_OFFSET, offset);
    w.PutBe32(NFTA_PAYLOAD_LEN, len);
  });
}

void Meta(MsgWriter& w, nft_meta_keys key) {
  Expr(w, "meta", [&] {
    w.PutBe32(NFTA_META_DREG, NFT_REG_1);
    w.PutBe32(NFTA_META_KEY, key);
  });
}

// reg1 = reg1 & mask (xor 0), over 4 bytes.
void And32(MsgWriter& w, uint32_t mask) {
  const uint32_t zero = 0;
  Expr(w, "bitwise", [&] {
    w.PutBe32(NFTA_BITWISE_SREG, NFT_REG_1);
    w.PutBe32(NFTA_BITWISE_DREG, NFT_REG_1);
    w.PutBe32(NFTA_BITWISE_LEN, 4);
    Value(w, NFTA_BITWISE_MASK, {&mask, 4});
    Value(w, NFTA_BITWISE_XOR, {&zero, 4});
  });
}

void Immediate(MsgWriter& w, nft_registers reg, Blob v) {
  Expr(w, "immediate", [&] {
    w.PutBe32(NFTA_IMMEDIATE_DREG, reg);
    Value(w, NFTA_IMMEDIATE_DATA, v);
  });
}

// ip saddr/daddr <addr or cidr>: a prefix on a byte boundary loads only its bytes (as nft does),
// another one loads the address and masks it.
Status IpMatch(MsgWriter& w, uint32_t offset, const std::string& text) {
  Ipv4Subnet net;
  if (text.find('/') == std::string::npos) {
    net.base = CTV_TRY(ParseIpv4(text, "nft rule address"));
    net.prefix = 32;
  } else {
    net = CTV_TRY(ParseIpv4Subnet(text));
  }
  const uint32_t base = htonl(net.base);
  if (net.prefix % 8 == 0) {
    Payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, net.prefix / 8);
    Cmp(w, NFT_CMP_EQ, {&base, static_cast<size_t>(net.prefix / 8)});
  } else {
    Payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
    And32(w, htonl(net.Mask()));
    Cmp(w, NFT_CMP_EQ, {&base, 4});
  }
  return Ok();
}

Status PutMatch(MsgWriter& w, const NatMatch& m) {
  switch (m.kind) {
    case NatMatch::kFibDaddrLocal: {
      Expr(w, "fib", [&] {
        w.PutBe32(NFTA_FIB_DREG, NFT_REG_1);
        w.PutBe32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        w.PutBe32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
      });
      const uint32_t local = RTN_LOCAL;  // host order, as the fib expression stores it
      Cmp(w, NFT_CMP_EQ, {&local, 4});
      return Ok();
    }
    case NatMatch::kIpSaddr:
      return IpMatch(w, offsetof(iphdr, saddr), m.addr);
    case NatMatch::kIpDaddr:
      return IpMatch(w, offsetof(iphdr, daddr), m.addr);
    case NatMatch::kOifname: {
      if (m.name.empty() || m.name.size() >= IFNAMSIZ)
        return MakeError("encode nft rule", m.name, "not an interface name");
      char name[IFNAMSIZ] = {};  // the whole name, NUL-padded: an exact match, not a prefix
      std::memcpy(name, m.name.data(), m.name.size());
      Meta(w, NFT_META_OIFNAME);
      Cmp(w, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, {name, IFNAMSIZ});
      return Ok();
    }
    case NatMatch::kCtStatusDnat: {
      Expr(w, "ct", [&] {
        w.PutBe32(NFTA_CT_DREG, NFT_REG_1);
        w.PutBe32(NFTA_CT_KEY, NFT_CT_STATUS);
      });
      And32(w, IPS_DST_NAT);  // host order, as conntrack keeps its status
      const uint32_t zero = 0;
      Cmp(w, NFT_CMP_NEQ, {&zero, 4});
      return Ok();
    }
    case NatMatch::kDport: {
      // The transport header is the protocol's only once the protocol is known: nft's
      // dependency `meta l4proto`, elided when it lists the rule.
      const uint8_t proto = m.protocol == Protocol::kUdp ? IPPROTO_UDP : IPPROTO_TCP;
      Meta(w, NFT_META_L4PROTO);
      Cmp(w, NFT_CMP_EQ, {&proto, 1});
      const uint16_t port = htons(m.port);
      Payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);  // tcp and udp: dport at offset 2
      Cmp(w, NFT_CMP_EQ, {&port, 2});
      return Ok();
    }
  }
  return MakeError("encode nft rule", "", "unknown match");
}

Status PutRule(MsgWriter& w, const std::string& table, const NatRule& r) {
  w.PutStr(NFTA_RULE_TABLE, table);
  w.PutStr(NFTA_RULE_CHAIN, r.chain->name);
  size_t exprs = w.Nest(NFTA_RULE_EXPRESSIONS);
  for (const NatMatch& m : r.matches) CTV_CHECK(PutMatch(w, m));
  if (r.action == NatRule::kDnat) {
    const uint32_t addr = htonl(CTV_TRY(ParseIpv4(r.dnat_addr, "nft dnat address")));
    const uint16_t port = htons(r.dnat_port);
    Immediate(w, NFT_REG_1, {&addr, 4});
    Immediate(w, NFT_REG_2, {&port, 2});
    Expr(w, "nat", [&] {
      w.PutBe32(NFTA_NAT_TYPE, NFT_NAT_DNAT);
      w.PutBe32(NFTA_NAT_FAMILY, NFPROTO_IPV4);
      w.PutBe32(NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
      w.PutBe32(NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
      w.PutBe32(NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
    });
  } else {
    Expr(w, "masq", [] {});
  }
  w.EndNest(exprs);
  // The comment, as nft stores it (libnftnl's udata TLV: NFTNL_UDATA_RULE_COMMENT = 0, length,
  // the string with its NUL) so that `nft list` shows it; nft caps comments at 128 bytes.
  if (r.comment.size() + 1 > 128)
    return MakeError("encode nft rule", r.comment, "comment longer than 127 bytes");
  std::string udata;
  udata += '\0';
  udata += static_cast<char>(r.comment.size() + 1);
  udata.append(r.comment.c_str(), r.comment.size() + 1);
  w.Put(NFTA_RULE_USERDATA, udata.data(), udata.size());
  return Ok();
}

Result<Fd> OpenNfnetlink() {
  Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd.Valid()) return ErrnoError("open netlink socket", "NETLINK_NETFILTER");
  // Errors without a copy of the request (small replies), with the kernel's text when it has one.
  int one = 1;
  (void)::setsockopt(fd.Get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  (void)::setsockopt(fd.Get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  return fd;
}

Status Send(const Fd& fd, const std::string& bytes, const std::string& what) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n = ::sendto(fd.Get(), bytes.data(), bytes.size(), 0,
                       reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
  if (n < 0) return ErrnoError("send nftables netlink message", what);
  if (static_cast<size_t>(n) != bytes.size())
    return MakeError("send nftables netlink message", what, "short send");
  return Ok();
}

struct Reply {
  uint32_t seq;
  int error;            // 0 = an ACK; else -errno
  std::string message;  // the kernel's extended-ACK text, if any
  bool is_error_msg;    // NLMSG_ERROR (an ACK or an error), else a data message (e.g. NEWTABLE)
};

// Reads every reply already queued (wait_ms 0) or waits up to wait_ms for the first one.
Result<std::vector<Reply>> Receive(const Fd& fd, int wait_ms) {
  std::vector<Reply> out;
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    pollfd p{fd.Get(), POLLIN, 0};
    int r = ::poll(&p, 1, out.empty() ? wait_ms : 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("wait for nftables netlink reply", "NETLINK_NETFILTER");
    if (r == 0) return out;
    ssize_t n = ::recv(fd.Get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    // ENOBUFS: replies were dropped (a batch whose every message failed): an error all the same.
    if (n < 0) return ErrnoError("read nftables netlink reply", "NETLINK_NETFILTER");
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      Reply rep{h->nlmsg_seq, 0, "", h->nlmsg_type == NLMSG_ERROR};
      if (rep.is_error_msg && h->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        rep.error = e->error;
        // Extended ACK attributes follow the (capped) echoed header.
        if ((h->nlmsg_flags & NLM_F_ACK_TLVS) && (h->nlmsg_flags & NLM_F_CAPPED)) {
          size_t off = NLMSG_LENGTH(sizeof(nlmsgerr));
          while (off + NLA_HDRLEN <= h->nlmsg_len) {
            auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(h) + off);
            if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len) break;
            if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
              rep.message.assign(
                  reinterpret_cast<char*>(a) + NLA_HDRLEN,
                  strnlen(reinterpret_cast<char*>(a) + NLA_HDRLEN, a->nla_len - NLA_HDRLEN));
            off += NLA_ALIGN(a->nla_len);
          }
        }
      }
      out.push_back(std::move(rep));
    }
  }
}

Error ReplyError(const Reply& r, std::string op, std::string what) {
  std::string context = std::strerror(-r.error);
  if (!r.message.empty()) context += ": " + r.message;
  return Error{-r.error, std::move(op), std::move(what), std::move(context)};
}

}  // namespace

Status ApplyNatTable(const NatTable& t) {
  MsgWriter w;
  std::vector<std::string> what;  // per sequence number - 1: the message in nft syntax
  auto begin = [&](int msg, uint16_t flags, std::string text) {
    w.Begin(NftType(msg), flags, NFPROTO_IPV4);
    what.push_back(std::move(text));
  };
  // The batch envelope: nf_tables applies everything between BEGIN and END as one transaction.
  w.Begin(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  w.End();
  what.push_back("batch");
  begin(NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table ip " + t.name);
  w.PutStr(NFTA_TABLE_NAME, t.name);
  w.PutBe32(NFTA_TABLE_FLAGS, 0);
  w.End();
  if (!t.present) {
    begin(NFT_MSG_DELTABLE, 0, "delete table ip " + t.name);
    w.PutStr(NFTA_TABLE_NAME, t.name);
    w.End();
  } else {
    for (const NatChain& c : kNatChains) {
      begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE, fmt::format("add chain ip {} {}", t.name, c.name));
      w.PutStr(NFTA_CHAIN_TABLE, t.name);
      w.PutStr(NFTA_CHAIN_NAME, c.name);
      size_t hook = w.Nest(NFTA_CHAIN_HOOK);
      w.PutBe32(NFTA_HOOK_HOOKNUM, static_cast<uint32_t>(c.hook));
      w.PutBe32(NFTA_HOOK_PRIORITY, static_cast<uint32_t>(c.priority));
      w.EndNest(hook);
      w.PutBe32(NFTA_CHAIN_POLICY, NF_ACCEPT);
      w.PutStr(NFTA_CHAIN_TYPE, "nat");
      w.End();
    }
    // A DELRULE naming only the table deletes the rules of every chain in it (`flush table`).
    begin(NFT_MSG_DELRULE, 0, "flush table ip " + t.name);
    w.PutStr(NFTA_RULE_TABLE, t.name);
    w.End();
    for (const NatRule& r : t.rules) {
      begin(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, NftRuleText(t.name, r));
      CTV_CHECK(PutRule(w, t.name, r));
      w.End();
    }
  }
  // Only the last message asks for an ACK: success is that one ACK. A failing message is
  // answered with its error whatever its flags (and the batch is aborted); the kernel processes
  // the batch inside sendmsg(2), so every answer is queued by the time it returns. One ACK per
  // message would fill the socket's receive buffer on a large table (each ACK costs an skb).
  const uint32_t last_seq = w.RequestAck();
  w.Begin(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  w.End();

  Fd fd = CTV_TRY(OpenNfnetlink());
  // The batch is built, nothing sent: a crash here changed no rule (gc re-renders the table).
  CTV_FAULT_POINT("ctvrt.nft_batch_built");
  CTV_CHECK(Send(fd, w.Bytes(), "ip " + t.name));
  bool acked = false;
  for (int wait_ms : {0, 5000}) {
    std::vector<Reply> replies = CTV_TRY(Receive(fd, wait_ms));
    for (const Reply& r : replies) {
      if (!r.is_error_msg) continue;
      if (r.error != 0) {
        std::string text = r.seq >= 1 && r.seq <= what.size() ? what[r.seq - 1] : "ip " + t.name;
        return ReplyError(r, "apply nftables table ip " + t.name, text);
      }
      acked |= r.seq == last_seq;
    }
    if (acked) return Ok();
  }
  return MakeError("apply nftables table", "ip " + t.name, "no answer from the kernel in 5 s");
}

Result<bool> NftTableExists(const std::string& table) {
  MsgWriter w;
  w.Begin(NftType(NFT_MSG_GETTABLE), NLM_F_ACK, NFPROTO_IPV4);
  w.PutStr(NFTA_TABLE_NAME, table);
  w.End();
  Fd fd = CTV_TRY(OpenNfnetlink());
  CTV_CHECK(Send(fd, w.Bytes(), "get table ip " + table));
  bool found = false;
  for (int wait_ms : {0, 5000}) {
    std::vector<Reply> replies = CTV_TRY(Receive(fd, wait_ms));
    for (const Reply& r : replies) {
      if (!r.is_error_msg) {
        found = true;  // the table itself (NFT_MSG_NEWTABLE)
        continue;
      }
      if (r.error == -ENOENT) return false;
      if (r.error != 0) return ReplyError(r, "look up nftables table", "ip " + table);
      return found;
    }
  }
  return MakeError("look up nftables table", "ip " + table, "no answer from the kernel in 5 s");
}

}  // namespace ctv::net
