#include "core/config.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace filament::core {
namespace {

EnvLookup FromMap(const std::map<std::string, std::string>& env) {
  return [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

TEST(Limits, DefaultsMatchTheContract) {
  Limits limits;
  EXPECT_EQ(limits.max_body_bytes, 1'048'576);
  EXPECT_EQ(limits.gateway_outbound_queue, 256);
  EXPECT_EQ(limits.gateway_resume_max_events, 20'000);  // ADR 0060, not a contract limit
  EXPECT_EQ(limits.gateway_resume_max_age_secs, 3'600);
  EXPECT_EQ(limits.gateway_resume_pump_percent, 50);  // ADR 0069, not a contract limit
  EXPECT_EQ(limits.max_created_guilds_per_user, 5);
}

TEST(Limits, EnvOverridesAreApplied) {
  Limits limits;
  ASSERT_TRUE(LoadLimitsFromEnv(FromMap({{"FILAMENT_GATEWAY_OUTBOUND_QUEUE", "8"},
                                         {"FILAMENT_MAX_CREATED_GUILDS_PER_USER", "2"}}),
                                limits)
                  .ok());
  EXPECT_EQ(limits.gateway_outbound_queue, 8);
  EXPECT_EQ(limits.max_created_guilds_per_user, 2);
}

TEST(Limits, RejectsZeroNonNumericAndOutOfRange) {
  for (const char* bad : {"0", "abc", "", " 5", "5x", "-1", "99999999999999999999"}) {
    Limits limits;
    Status status = LoadLimitsFromEnv(FromMap({{"FILAMENT_GATEWAY_OUTBOUND_QUEUE", bad}}), limits);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_NE(status.error().message.find("FILAMENT_GATEWAY_OUTBOUND_QUEUE"), std::string::npos);
  }
  Limits limits;
  EXPECT_FALSE(
      LoadLimitsFromEnv(FromMap({{"FILAMENT_MAX_GATEWAY_EVENT_BYTES", "65537"}}), limits).ok());
}

TEST(Limits, FlagNamesDeriveFromEnvNames) {
  EXPECT_EQ(FlagNameForEnv("FILAMENT_MAX_BODY_BYTES"), "max-body-bytes");
}

}  // namespace
}  // namespace filament::core
