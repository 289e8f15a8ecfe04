// LinkShape: the scenario's link fields over the world's defaults, and the
// rate's text read as ns-3's DataRate reads it.
#include "lab/shaping/link_shape.h"

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

LinkShape default_link_shape(const std::string& key) {
  LinkShape d;
  d.rate_bps = 100'000'000;
  d.delay = Duration::milliseconds(5);
  if (key == "lan") d.rate_bps = 1'000'000'000, d.delay = Duration::milliseconds(1);
  if (key == "uplink") d.rate_bps = 50'000'000, d.delay = Duration::milliseconds(10);
  if (key == "lte") {
    // sim/world/point_to_point_link.h, LinkConfig::lte(): from the seed's
    // pings over 4G.
    d.rate_bps = 10'000'000, d.delay = Duration::milliseconds(130), d.jitter = Duration::milliseconds(12);
  }
  return d;
}

Result<LinkShape> link_shape_for(const scenario::Scenario& scenario, const std::string& key) {
  LinkShape shape = default_link_shape(key);
  for (const scenario::LinkSpec& l : scenario.links) {
    // The same match as the simulation's link_config.
    const bool match = (key == "uplink" && l.a == "gateway" && l.b == "internet" && !l.lte) || (key == "lte" && l.lte) ||
                       (key == "lan" && l.b == "gateway" && l.a != "internet") || (l.a == key && l.b == "internet");
    if (!match) continue;
    if (l.rate) {
      auto rate = parse_rate(*l.rate);
      if (!rate) return Error(ErrorCode::invalid_argument, "line " + std::to_string(l.line) + ": links[].rate: " + rate.error().message);
      shape.rate_bps = *rate;
    }
    if (l.delay) shape.delay = *l.delay;
    if (l.jitter) shape.jitter = *l.jitter;
    shape.reorder = l.reorder;
    shape.loss = l.loss;
    break;
  }
  return shape;
}

}  // namespace tether::lab
