#pragma once
// The scenario parser's reader, shared by the files that read its sections
// (scenario_parser.cc: the top level and the cross-field checks;
// scenario_parser_world.cc: hosts, links, nat, isp, dns;
// scenario_parser_traffic.cc: workload, home activity, events, outputs).
// Internal to the parser: use scenario_parser.h.

#include <map>
#include <string>

#include "scenario/field_reader.h"
#include "scenario/scenario.h"

namespace tether::scenario {

class ScenarioReader : public FieldReader {
 public:
  using FieldReader::FieldReader;

  Scenario parse(const YAML::Node& root);
  // Cross-field checks once everything is read.
  void check(Scenario& s, const YAML::Node& root);

 private:
  void hosts(const YAML::Node& n, Scenario& s);
  void links(const YAML::Node& n, Scenario& s);
  std::optional<NatBehaviour> behaviour(const YAML::Node& v, const std::string& f);
  void nat(const YAML::Node& n, Scenario& s);
  std::vector<IpAddress> pool(const YAML::Node& v, const std::string& f);
  void isp(const YAML::Node& n, Scenario& s);
  std::optional<DnsRecordSpec::Type> record_type(const YAML::Node& v, const std::string& f);
  void dns(const YAML::Node& n, Scenario& s);
  void clocks(const YAML::Node& n, Scenario& s);
  void workload(const YAML::Node& n, Scenario& s);
  void home_activity(const YAML::Node& n, Scenario& s);
  void events(const YAML::Node& n, Scenario& s);
  // Each error of a host's config file ("wg0.conf:3: ...") as one of `field`.
  void host_config_errors(const YAML::Node& v, const std::string& field, const std::vector<std::string>& config_errors);
  void change_config_files(const YAML::Node& m, const std::string& f, const Scenario& s, EventSpec& e);
  void outputs(const YAML::Node& n, Scenario& s);
};

}  // namespace tether::scenario
