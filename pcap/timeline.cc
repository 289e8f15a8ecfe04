#include "pcap/timeline.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <utility>

#include "pcap/decode.h"
#include "pcap/dissector_output.h"
#include "pcap/icmp_dissector.h"
#include "pcap/read_capture.h"
#include "pcap/smtp_dissector.h"
#include "pcap/tcp_dissector.h"
#include "pcap/text_trace.h"

namespace tether::pcap {
namespace {

// The TCP (with SMTP) and ICMP dissectors of one layer: the wire, or the
// inside of the WireGuard tunnel. UDP inside the tunnel is counted but not
// dissected: a WireGuard tunnel inside a WireGuard tunnel is not a setup
// anyone captures.
class LayerDissectors : public PacketVisitor {
 public:
  LayerDissectors(DissectorOutput& out, std::string layer)
      : out_(out), layer_(std::move(layer)), tcp_(out, smtp_stream_dissectors()) {}

  void on_segment(const Segment& s) override {
    const std::size_t before = out_.events.size();
    tcp_.segment(s);
    mark(before);
  }
  void on_icmp(const IcmpMessage& m) override {
    const std::size_t before = out_.events.size();
    dissect_icmp(m, out_);
    mark(before);
  }
  void on_error(const DecodeError& e) override {
    out_.problem(e.origin, layer_.empty() ? e.message : "inside WireGuard: " + e.message);
  }
  void finish() {
    const std::size_t before = out_.events.size();
    tcp_.finish();
    mark(before);
  }

 protected:
  void mark(std::size_t from) {
    if (layer_.empty()) return;
    for (std::size_t i = from; i < out_.events.size(); ++i) out_.events[i].layer = layer_;
  }
  DissectorOutput& out_;

 private:
  std::string layer_;
  TcpDissector tcp_;
};

// One input's dissectors: WireGuard on UDP, the wire's TCP and ICMP, and a
// raw-IP decoder with its own dissectors for what WireGuard decrypts.
class CaptureDissectors : public LayerDissectors {
 public:
  CaptureDissectors(DissectorOutput& out, const TimelineOptions& options, TimelineCounts& counts)
      : LayerDissectors(out, {}),
        counts_(counts),
        sink_(options.sink),
        wireguard_(options.wireguard, options.keys),
        inner_(out, "wg"),
        inner_decoder_(DLT_RAW, inner_, options.reassembly) {
    wireguard_.reuse_events_from(&recycled_);
    wireguard_.on_inner_packet([this](const WireGuardInnerPacket& p) {
      ++counts_.inner_packets;
      // Inner packets carry the outer record's place in the capture.
      inner_decoder_.decode(p.outer.origin, p.packet, std::uint32_t(p.packet.size()));
    });
  }

  void on_datagram(const Datagram& d) override {
    ++counts_.datagrams;
    wireguard_.dissect(d, out_.events);
    hand_over();
  }
  void on_segment(const Segment& s) override {
    ++counts_.segments;
    LayerDissectors::on_segment(s);
    hand_over();
  }
  void on_icmp(const IcmpMessage& m) override {
    ++counts_.icmp;
    LayerDissectors::on_icmp(m);
    hand_over();
  }

  void finish() {
    LayerDissectors::finish();
    inner_decoder_.finish();
    inner_.finish();
    for (const WireGuardProblem& p : wireguard_.problems()) out_.problem(p.origin, p.message);
    counts_.wg_messages += wireguard_.counts().messages;
    counts_.wg_decrypted += wireguard_.counts().decrypted;
    counts_.wg_decryption_failed += wireguard_.counts().decryption_failed;
    hand_over(true);
  }

 private:
  // A unit's events are complete once its dissector returns (inner packets
  // are dissected within it): they go to the sink, if any, some hundreds
  // at a time (the sink may then take the whole vector over by a swap), and
  // the rest at the end. What the sink leaves in the vector (events it has
  // written out) is memory for the next WireGuard events.
  void hand_over(bool at_end = false) {
    constexpr std::size_t kBatch = 512;
    if (!sink_ || out_.events.empty() || (!at_end && out_.events.size() < kBatch)) return;
    sink_(out_.events);
    if (recycled_.empty()) {
      recycled_.swap(out_.events);
    } else {
      for (TimelineEvent& e : out_.events) recycled_.push_back(std::move(e));
    }
    out_.events.clear();
  }

  TimelineCounts& counts_;
  const TimelineEventSink& sink_;
  std::vector<TimelineEvent> recycled_;
  WireGuardDissector wireguard_;
  LayerDissectors inner_;
  Decoder inner_decoder_;
};

}  // namespace

namespace {

// Events of the inputs before, if they went to timeline.events although a
// sink is set (a text trace's), go to the sink first, in input order.
void hand_over_kept(Timeline& timeline, const TimelineOptions& options) {
  if (!options.sink || timeline.events.empty()) return;
  options.sink(timeline.events);
  timeline.events.clear();
}

}  // namespace

Result<void> add_capture(Timeline& timeline, const std::string& path, std::size_t capture,
                         const TimelineOptions& options) {
  hand_over_kept(timeline, options);
  DissectorOutput out;
  out.events = std::move(timeline.events);
  CaptureDissectors dissectors(out, options, timeline.counts);
  auto read = read_capture(path, capture, dissectors, options.reassembly);
  if (!read.ok()) {
    timeline.events = std::move(out.events);
    return read.error();
  }
  dissectors.finish();
  timeline.counts.records += read->records;
  timeline.link_types.push_back(read->link_type);
  timeline.events = std::move(out.events);
  append_problems(timeline, std::move(out.problems), out.problems_dropped);
  return {};
}

void append_problems(Timeline& timeline, std::vector<std::string>&& problems, std::size_t dropped) {
  for (std::string& p : problems) {
    if (timeline.problems.size() >= DissectorOutput::kMaxProblems) {
      ++timeline.problems_dropped;
      continue;
    }
    timeline.problems.push_back(std::move(p));
  }
  timeline.problems_dropped += dropped;
}

void sort_timeline(Timeline& timeline) {
  std::stable_sort(timeline.events.begin(), timeline.events.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.at < b.at; });
}

Result<Timeline> build_timeline(const std::vector<std::string>& paths, const TimelineOptions& options) {
  Timeline timeline;
  if (options.keys) timeline.problems = options.keys->problems();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    auto added = is_text_trace(paths[i]) ? add_text_trace(timeline, paths[i], i, options)
                                         : add_capture(timeline, paths[i], i, options);
    if (!added.ok()) return added.error();
  }
  hand_over_kept(timeline, options);
  sort_timeline(timeline);
  return timeline;
}

}  // namespace tether::pcap
