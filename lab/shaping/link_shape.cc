// LinkShape: the scenario's link fields over the world's defaults, and the
// rate's text read as ns-3's DataRate reads it.
#include "lab/shaping/link_shape.h"

#include "scenario/world_links.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace tether::lab {

namespace {

std::string milliseconds_text(Duration d) {
  std::ostringstream out;
  out << double(d.ns()) / 1e6 << "ms";
  return out.str();
}

}  // namespace

std::string LinkShape::summary() const {
  std::ostringstream out;
  out << milliseconds_text(delay);
  if (jitter.ns() > 0) out << "+-" << milliseconds_text(jitter) << (reorder ? " reordering" : " in order");
  if (loss > 0) out << " loss " << loss * 100 << "%";
  if (rate_bps > 0) out << " " << double(rate_bps) / 1e6 << "Mbit/s";
  return out.str();
}

Result<std::uint64_t> parse_rate(const std::string& text) {
  const auto digits = text.find_first_not_of("0123456789.");
  const std::string number = text.substr(0, digits);
  const std::string unit = digits == std::string::npos ? "" : text.substr(digits);
  char* end = nullptr;
  const double value = number.empty() ? 0 : std::strtod(number.c_str(), &end);
  double scale = 0;
  if (unit == "bps") scale = 1;
  if (unit == "kbps" || unit == "Kbps") scale = 1e3;
  if (unit == "Mbps") scale = 1e6;
  if (unit == "Gbps") scale = 1e9;
  if (number.empty() || *end || !(value > 0) || scale == 0)
    return Error(ErrorCode::invalid_argument, "'" + text + "' is not a rate above 0 (e.g. 50Mbps)");
  return std::uint64_t(std::llround(value * scale));
}

namespace {

// The scenario world's link (scenario/world_links.h, as the simulation
// builds it) as a shape; `where` names its rate in an error.
Result<LinkShape> shape_of(const scenario::WorldLink& link) {
  LinkShape shape;
  auto rate = parse_rate(link.rate);
  if (!rate) {
    const std::string where = link.line ? "line " + std::to_string(link.line) + ": links[].rate: " : "links[].rate: ";
    return Error(ErrorCode::invalid_argument, where + rate.error().message);
  }
  shape.rate_bps = *rate;
  shape.delay = link.delay;
  shape.jitter = link.jitter;
  shape.reorder = link.reorder;
  shape.loss = link.loss;
  return shape;
}

}  // namespace

LinkShape default_link_shape(const std::string& key) { return *shape_of(scenario::default_world_link(key)); }

Result<LinkShape> link_shape_for(const scenario::Scenario& scenario, const std::string& key) {
  return shape_of(scenario::world_link(scenario, key));
}

}  // namespace tether::lab
