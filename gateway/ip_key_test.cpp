#include "gateway/ip_key.hpp"

#include <gtest/gtest.h>

namespace filament::gateway {
namespace {

TEST(IpKeyTest, SpellingsOfOneAddressShareAKey) {
  ASSERT_TRUE(IpKey("10.0.0.7").has_value());
  EXPECT_EQ(IpKey("10.0.0.7"), IpKey("10.0.0.7"));
  EXPECT_NE(IpKey("10.0.0.7"), IpKey("10.0.0.8"));
  EXPECT_EQ(IpKey("2001:DB8::1"), IpKey("2001:db8:0:0::1"));
  EXPECT_NE(IpKey("2001:db8::1"), IpKey("2001:db8::2"));
}

TEST(IpKeyTest, FamiliesStayDistinct) {
  EXPECT_NE(IpKey("1.2.3.4"), IpKey("::ffff:1.2.3.4"));
  EXPECT_NE(IpKey("0.0.0.0"), IpKey("::"));
}

TEST(IpKeyTest, OnlyBareAddressesHaveAKey) {
  for (const char* text :
       {"", "unknown", "10.0.0.7/32", "10.0.0.7:80", " 10.0.0.7", "1.2.3", "[::1]", "::1%eth0"}) {
    EXPECT_FALSE(IpKey(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace filament::gateway
