#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

// The commented config file of a subcommand (`filament config print-default`), rendered from
// the same flag definitions as its `--help` so the two cannot drift (ADR 0063).
namespace filament::app {

// One setting as its flag defines it (main.cpp reads these from CLI11).
struct SettingDoc {
  std::string name;           // the long flag without dashes, e.g. "data-dir"
  std::string help;           // the flag's description
  std::string env;            // its FILAMENT_* variable; empty: none
  std::string default_value;  // as `--help` shows it; empty: unset
};

// A TOML file for `filament SECTION --config FILE`: a header, then one block per setting — its
// help, variable and default as comments, and the setting itself commented out with its default
// (so the binary's defaults, and FILAMENT_* variables, stay in force) — except the settings
// named in `active` ("name=value"), which are written uncommented with that value.
// Errors: kInvalidArgument (an `active` entry is not name=value, names no setting or twice, or
// its value holds a quote, a backslash or a control character, which the file cannot carry).
core::Result<std::string> RenderConfigFile(const std::string& section,
                                           const std::vector<SettingDoc>& settings,
                                           const std::vector<std::string>& active);

// Prints RenderConfigFile to stdout; returns the exit code (2 and a message on bad `active`).
int RunPrintDefaultConfig(const std::string& section, const std::vector<SettingDoc>& settings,
                          const std::vector<std::string>& active);

}  // namespace filament::app
