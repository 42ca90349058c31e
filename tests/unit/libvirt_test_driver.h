// A fixture over libvirt's test driver (test:///default: in-process, no QEMU, no daemon), which
// parses and validates domain XML as the real QEMU driver does and has a storage pool of its own:
// unit tests of what ctvbench gives libvirt check it there, not only as text.
#pragma once

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

#include <cstdlib>
#include <string>

#include "vm/libvirt/conn.h"

namespace ctv::vm {

class LibvirtTestDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = lv::Connection::Open("test:///default");
    ASSERT_TRUE(c) << c.error().ToString();
    conn_ = std::move(*c);
  }
  // Defines the XML, reads back libvirt's normalised XML, undefines.
  std::string DefineAndDump(const std::string& xml) {
    lv::Domain d(virDomainDefineXML(conn_.Get(), xml.c_str()));
    EXPECT_TRUE(d) << lv::LastError("define", "").ToString() << "\n" << xml;
    if (!d) return "";
    char* dump = virDomainGetXMLDesc(d.Get(), 0);
    std::string out = dump ? dump : "";
    std::free(dump);
    EXPECT_EQ(virDomainUndefine(d.Get()), 0);
    return out;
  }
  lv::Connection conn_;
};

}  // namespace ctv::vm
