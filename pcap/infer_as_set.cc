// --as-set: the inference as tether-sim overrides (scenarios/README.md):
//   hosts.NAME.persistent_keepalive  whole seconds, as wg-quick takes them,
//                                    from the side's keepalive figure (the
//                                    one with the most samples per host);
//                                    written only within 5% of a whole second
//   nat.timeouts.udp                 from a bracket with both bounds: the
//                                    bracket's middle, in whole seconds when
//                                    that is inside the bracket (else ms),
//                                    since any value in it matches the capture
// Everything else (rekey, retries, SMTP schedules) is the implementation's,
// not a scenario key: those figures are comments, for the reader to hold
// against the profile the scenario's host names.

#include <cmath>
#include <cstdio>

#include "pcap/infer_format.h"
#include "pcap/infer_pairs.h"

namespace tether::pcap {

namespace {

std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", v);
  return buf;
}

const std::string* name_of(const HostNames& names, const std::string& endpoint) {
  auto at = names.find(endpoint_address(endpoint));
  return at == names.end() ? nullptr : &at->second;
}

void keepalive_lines(std::string& out, const Inference& inference, const HostNames& names) {
  std::map<std::string, const KeepaliveFigure*> best;  // per host name
  for (const KeepaliveFigure& k : inference.keepalives) {
    const std::string* name = name_of(names, k.side);
    if (!name) {
      out += "# " + k.side + ": no host name (--host ADDRESS=NAME or --scenario)\n";
      continue;
    }
    const KeepaliveFigure*& b = best[*name];
    if (!b || k.interval.samples > b->interval.samples) b = &k;
  }
  for (const auto& [name, k] : best) {
    const std::string key = "hosts." + name + ".persistent_keepalive";
    if (!k->interval.value) {
      out += "# " + key + ": " + k->interval.note + "\n";
      continue;
    }
    double value = *k->interval.value;
    long whole = std::lround(value);
    out += "# " + key + ": median " + seconds(value) + " of " + std::to_string(k->interval.samples) +
           " keepalives from " + k->side + "\n";
    if (whole >= 1 && std::fabs(value - double(whole)) <= 0.05 * double(whole))
      out += "--set " + key + "=" + std::to_string(whole) + "\n";
    else
      out += "# (not within 5% of a whole second: no override)\n";
  }
}

void nat_lines(std::string& out, const Inference& inference) {
  for (const NatBracket& b : inference.nat) {
    std::string bracket = "[" + (b.at_least ? seconds(*b.at_least) : std::string("?")) + ", " +
                          (b.below ? seconds(*b.below) : std::string("?")) + ")";
    if (!b.at_least || !b.below || *b.at_least >= *b.below) {
      out += "# nat.timeouts.udp: inside " + b.inside + ": " + bracket + ": no value to set" +
             (b.note.empty() ? "" : " (" + b.note + ")") + "\n";
      continue;
    }
    double middle = (*b.at_least + *b.below) / 2;
    double whole = std::round(middle);
    std::string value = whole >= *b.at_least && whole < *b.below ? std::to_string(long(whole)) + "s"
                                                                 : std::to_string(std::lround(middle * 1000)) + "ms";
    out += "# nat.timeouts.udp: inside " + b.inside + ": any value in " + bracket + " matches; its middle:\n";
    out += "--set nat.timeouts.udp=" + value + "\n";
  }
}

}  // namespace

std::string infer_as_set(const Inference& inference, const HostNames& names) {
  std::string out;
  keepalive_lines(out, inference, names);
  nat_lines(out, inference);
  for (const HandshakeFigure& h : inference.handshakes)
    if (h.rekey.value)
      out += "# rekey " + h.a + " <-> " + h.b + ": " + seconds(*h.rekey.value) + " (the implementation's REKEY_AFTER_TIME, no key)\n";
  for (const RetryFigure& r : inference.retries) {
    if (r.spacing.value)
      out += "# initiation retries from " + r.initiator + ": " + seconds(*r.spacing.value) + " apart";
    if (r.give_up.value) out += ", given up after " + seconds(*r.give_up.value);
    if (r.spacing.value) out += " (the implementation's, no key)\n";
  }
  for (const SmtpRetryFigure& s : inference.smtp)
    if (s.retry.value)
      out += "# SMTP retries " + s.client + " -> " + s.destination + ": median " + seconds(*s.retry.value) +
             " (the relay profile's schedule, hosts.NAME.profile)\n";
  return out;
}

}  // namespace tether::pcap
