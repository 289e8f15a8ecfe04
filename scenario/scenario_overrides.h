#pragma once
// `--set path.to.key=value`: an override applied to a scenario's YAML tree
// before it is read, so an overridden value is checked like a written one.
// The value is read as YAML (lists work); sequence items are addressed by
// index (events.0.at=3h).

#include <string>

#include <yaml-cpp/yaml.h>

namespace tether::scenario {

// False, with `error` naming the override, when `text` is not KEY=VALUE,
// its value is not YAML, or its path runs into a list index that does not
// exist, below a single value, or through a key the file does not have
// (named, with the closest key that exists there). Only the last key, or
// a fixed section of the schema the file lacks (clocks, nat, nat.timeouts,
// isp, workload, home_activity, outputs), may be new.
bool apply_override(YAML::Node& root, const std::string& text, std::string& error);

}  // namespace tether::scenario
