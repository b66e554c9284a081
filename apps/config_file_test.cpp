// RenderConfigFile: the commented config file `filament config print-default` prints (ADR 0063).
#include "apps/config_file.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace filament::app {
namespace {

const std::vector<SettingDoc> kSettings = {
    {"data-dir", "embedded default: private PostgreSQL under DIR", "FILAMENT_DATA_DIR", ""},
    {"listen", "HTTP and WebSocket address host:port", "FILAMENT_BIND_ADDR", "0.0.0.0:3000"},
    {"only-flag", "a setting without a variable", "", "7"},
};

TEST(ConfigFileTest, ListsEverySettingCommentedOutWithItsHelpVariableAndDefault) {
  auto text = RenderConfigFile("serve", kSettings, {});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("\n[serve]\n"), std::string::npos);
  EXPECT_NE(text->find("\n# embedded default: private PostgreSQL under DIR\n"
                       "#   flag --data-dir, variable FILAMENT_DATA_DIR; default: unset\n"
                       "# data-dir = \"\"\n"),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find("#   flag --listen, variable FILAMENT_BIND_ADDR; default: 0.0.0.0:3000\n"
                       "# listen = \"0.0.0.0:3000\"\n"),
            std::string::npos);
  EXPECT_NE(text->find("#   flag --only-flag; default: 7\n# only-flag = \"7\"\n"),
            std::string::npos);
  // Nothing is active: every non-comment line is blank or the table header.
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    std::string line = text->substr(start, end - start);
    EXPECT_TRUE(line.empty() || line[0] == '#' || line == "[serve]") << line;
    start = end + 1;
  }
}

TEST(ConfigFileTest, ActiveSettingsAreWrittenUncommentedInPlace) {
  auto text = RenderConfigFile("serve", kSettings, {"data-dir=/var/lib/filament"});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("default: unset\ndata-dir = \"/var/lib/filament\"\n"), std::string::npos);
  EXPECT_EQ(text->find("# data-dir = "), std::string::npos);
  EXPECT_NE(text->find("# listen = \"0.0.0.0:3000\"\n"), std::string::npos);
}

TEST(ConfigFileTest, RefusesWhatTheFileCannotCarry) {
  for (const char* bad :
       {"nope=1", "data-dir", "=x", "listen=a\"b", "listen=a\\b", "listen=a\nb"}) {
    auto text = RenderConfigFile("serve", kSettings, {bad});
    ASSERT_FALSE(text.ok()) << bad;
    EXPECT_EQ(text.error().code, core::ErrorCode::kInvalidArgument);
  }
  auto twice = RenderConfigFile("serve", kSettings, {"listen=a:1", "listen=b:2"});
  EXPECT_FALSE(twice.ok());
  EXPECT_TRUE(RenderConfigFile("serve", kSettings, {"listen="}).ok());  // empty is a value
}

}  // namespace
}  // namespace filament::app
