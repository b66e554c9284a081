#include "api/support/client_ip.hpp"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace filament::api {
namespace {

// Like http::HttpRequest::Header: every call returns a fresh copy, destroyed after use.
HeaderLookup Headers(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

IpAddress Ip(std::string_view text) {
  auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddress{});
}

bool Contains(std::string_view cidr, std::string_view ip) {
  auto block = CidrBlock::Parse(cidr);
  EXPECT_TRUE(block.has_value()) << cidr;
  return block && block->Contains(Ip(ip));
}

TEST(IpAddress, ParsesAndCanonicalises) {
  EXPECT_EQ(Ip("10.0.0.1").ToString(), "10.0.0.1");
  EXPECT_EQ(Ip("2001:DB8:0:0:0:0:0:1").ToString(), "2001:db8::1");
  EXPECT_EQ(Ip("::1").ToString(), "::1");
  EXPECT_EQ(Ip("::ffff:192.0.2.7").ToString(), "192.0.2.7");
  EXPECT_FALSE(Ip("::ffff:192.0.2.7").is_v6);
  EXPECT_EQ(Ip("::ffff:192.0.2.7"), Ip("192.0.2.7"));
}

TEST(IpAddress, RejectsNonBareForms) {
  using namespace std::string_view_literals;
  for (std::string_view text : std::initializer_list<std::string_view>{
           "", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1.2.3.4:80", "[::1]", "[::1]:80",
           "fe80::1%eth0", " 1.2.3.4", "1.2.3.4 ", "example.com", "1:2:3:4:5:6:7:8:9", "::g",
           "1.2.3.4\0"sv}) {
    EXPECT_FALSE(IpAddress::Parse(text).has_value()) << text;
  }
}

TEST(CidrBlock, V4Edges) {
  EXPECT_TRUE(Contains("10.0.0.0/8", "10.255.255.255"));
  EXPECT_FALSE(Contains("10.0.0.0/8", "11.0.0.0"));
  EXPECT_TRUE(Contains("192.168.1.0/23", "192.168.0.9"));
  EXPECT_FALSE(Contains("192.168.2.0/23", "192.168.1.9"));
  EXPECT_TRUE(Contains("0.0.0.0/0", "203.0.113.9"));
  EXPECT_FALSE(Contains("0.0.0.0/0", "2001:db8::1")) << "families never cross";
  EXPECT_TRUE(Contains("1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(Contains("1.2.3.4", "1.2.3.5"));
  EXPECT_TRUE(Contains("10.1.2.3/8", "10.9.9.9")) << "host bits are masked";
  EXPECT_TRUE(Contains("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(Contains("172.16.0.0/12", "172.32.0.0"));
  EXPECT_TRUE(Contains("127.0.0.1/32", "::ffff:127.0.0.1")) << "mapped addresses are IPv4";
}

TEST(CidrBlock, V6Edges) {
  EXPECT_TRUE(Contains("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(Contains("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(Contains("::/0", "::1"));
  EXPECT_FALSE(Contains("::/0", "1.2.3.4"));
  EXPECT_TRUE(Contains("fd00::/7", "fdff::1"));
  EXPECT_TRUE(Contains("fc00::/7", "fd12::1"));
  EXPECT_FALSE(Contains("fc00::/7", "fe00::1"));
  EXPECT_TRUE(Contains("2001:db8::1/127", "2001:db8::0"));
  EXPECT_FALSE(Contains("2001:db8::1/128", "2001:db8::2"));
  EXPECT_TRUE(Contains("::1", "::1"));
}

TEST(CidrBlock, RejectsInvalid) {
  for (std::string_view text : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/a",
                                "/8", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0 /8", "10.0.0.0/0008"}) {
    EXPECT_FALSE(CidrBlock::Parse(text).has_value()) << text;
  }
}

TEST(ClientIpResolver, ConfigParsing) {
  EXPECT_TRUE(ClientIpResolver::FromConfig("").ok());
  EXPECT_TRUE(ClientIpResolver::FromConfig(" 10.0.0.0/8 , ::1,,192.0.2.1 ").ok());
  auto bad = ClientIpResolver::FromConfig("10.0.0.0/8,not-an-ip");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not-an-ip"), std::string::npos);
  EXPECT_FALSE(ClientIpResolver::FromConfig("10.0.0.0/40").ok());
}

TEST(ClientIpResolver, UntrustedPeerIgnoresHeaders) {
  ClientIpResolver resolver = ClientIpResolver::FromConfig("10.0.0.0/8").value();
  auto headers = Headers({{"cf-connecting-ip", "1.1.1.1"}, {"x-forwarded-for", "2.2.2.2"}});
  EXPECT_EQ(resolver.Resolve("203.0.113.5", headers), "203.0.113.5");
  EXPECT_EQ(ClientIpResolver().Resolve("10.0.0.1", headers), "10.0.0.1");
}

TEST(ClientIpResolver, NoPeerIsUnknown) {
  ClientIpResolver resolver;
  EXPECT_EQ(resolver.Resolve("", Headers({})), "unknown");
  EXPECT_EQ(resolver.Resolve("garbage", Headers({})), "unknown");
}

TEST(ClientIpResolver, TrustedPeerPrefersCfConnectingIp) {
  ClientIpResolver resolver = ClientIpResolver::FromConfig("10.0.0.0/8,::1").value();
  EXPECT_EQ(resolver.Resolve("10.1.1.1", Headers({{"cf-connecting-ip", "1.1.1.1"},
                                                  {"x-forwarded-for", "2.2.2.2"}})),
            "1.1.1.1");
  EXPECT_EQ(resolver.Resolve("::1", Headers({{"cf-connecting-ip", "2001:DB8::5"}})), "2001:db8::5");
}

TEST(ClientIpResolver, InvalidCfFallsBackToFirstForwardedEntry) {
  ClientIpResolver resolver = ClientIpResolver::FromConfig("10.0.0.0/8").value();
  EXPECT_EQ(resolver.Resolve("10.1.1.1", Headers({{"cf-connecting-ip", "1.1.1.1:443"},
                                                  {"x-forwarded-for", " 2.2.2.2 , 3.3.3.3"}})),
            "2.2.2.2");
  EXPECT_EQ(resolver.Resolve("10.1.1.1", Headers({{"cf-connecting-ip", std::string(65, '1')},
                                                  {"x-forwarded-for", "2.2.2.2"}})),
            "2.2.2.2");
}

TEST(ClientIpResolver, ForwardedForRules) {
  ClientIpResolver resolver = ClientIpResolver::FromConfig("10.0.0.0/8").value();
  auto resolve = [&](std::string xff) {
    return resolver.Resolve("10.0.0.2", Headers({{"x-forwarded-for", std::move(xff)}}));
  };
  EXPECT_EQ(resolve("198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(resolve("198.51.100.1:8080, 3.3.3.3"), "10.0.0.2") << "port is not a bare IP";
  EXPECT_EQ(resolve("garbage, 3.3.3.3"), "10.0.0.2") << "only the first entry counts";
  EXPECT_EQ(resolve("[2001:db8::1]"), "10.0.0.2");
  EXPECT_EQ(resolve("2001:db8::1, 1.1.1.1"), "2001:db8::1");
  std::string padded = "198.51.100.1," + std::string(499, ' ');
  EXPECT_EQ(padded.size(), 512u);
  EXPECT_EQ(resolve(padded), "198.51.100.1");
  EXPECT_EQ(resolve(padded + " "), "10.0.0.2") << "header over 512 chars is ignored";
  EXPECT_EQ(resolve(std::string(60, ' ') + "1.2.3.4"), "10.0.0.2") << "entry over 64 chars";
  EXPECT_EQ(resolver.Resolve("10.0.0.2", Headers({})), "10.0.0.2");
  EXPECT_EQ(resolver.Resolve("10.0.0.2", HeaderLookup()), "10.0.0.2");
}

}  // namespace
}  // namespace filament::api

namespace filament::api {
namespace {

TEST(ClientIpRobustness, RandomInputNeverCrashes) {
  std::mt19937 random(3);
  const std::string alphabet = "0123456789abcdefABCDEF:./%, []\x00\xff";
  ClientIpResolver resolver = ClientIpResolver::FromConfig("0.0.0.0/0,::/0").value();
  for (int i = 0; i < 5000; ++i) {
    std::string text(random() % 50, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    (void)CidrBlock::Parse(text);
    (void)ClientIpResolver::FromConfig(text);
    std::string resolved =
        resolver.Resolve(i % 2 ? "1.2.3.4" : text, Headers({{"x-forwarded-for", text}}));
    EXPECT_FALSE(resolved.empty());
  }
}

}  // namespace
}  // namespace filament::api
