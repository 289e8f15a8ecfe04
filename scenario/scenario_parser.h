#pragma once
// Scenario YAML -> Scenario (scenario/scenario.h), schema in scenarios/README.md.
// Every violation is reported, each as "FILE:LINE: field.path: message":
//   backup-mx-fallback.yaml:12: hosts.relay.tunnel: file 'x.conf' not found
// Unknown keys are errors. `--set path.to.key=value` overrides are applied to
// the YAML tree before validation (a value is read as YAML, so lists work;
// sequence items are addressed by index: events.0.at=3h); errors in a value
// that came from an override name it: "--set duration=3x: duration: ...".
// Config files (tunnel, smtpd) are relative to the scenario file's
// directory and must exist; they are parsed by the world builder.

#include <string>
#include <vector>

#include "scenario/scenario.h"

namespace tether::scenario {

struct ScenarioParse {
  Scenario scenario;  // complete only when ok()
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
  std::string error_text() const;  // one per line
};

// `text` is the file's content; `path` names it in errors (its file name)
// and anchors relative paths (its directory).
ScenarioParse parse_scenario(const std::string& text, const std::filesystem::path& path,
                             const std::vector<std::string>& overrides = {});
ScenarioParse load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

}  // namespace tether::scenario
