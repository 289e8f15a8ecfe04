#pragma once
// One direction of a lab link shaped as a LinkShape asks, for as long as
// the object lives. The direction runs from one veth end (`from`, in its
// namespace) to its peer (`to`, in the other):
//  - on `from`'s egress a tbf qdisc sends no faster than the rate, with the
//    same 100-packet queue as the simulation's devices;
//  - on `to`'s ingress an NFQUEUE delayer (lab/shaping/nfqueue_delayer.h),
//    fed by iptables and ip6tables rules in mangle PREROUTING -i TO, holds
//    each packet for its delay and drops the lost ones. PREROUTING sees
//    every packet that arrives, whether the namespace is its destination
//    or forwards it (a router), before NAT's dstnat. This is also the
//    simulation's order: transmission at the rate, then the delay, loss on
//    the receiving side.
// Why the receiving side: a packet held on its sender's egress stays
// charged to its TCP socket, whose small-queue limit (TSQ, about 1 ms of
// its pacing rate) then throttles it: a 20 Mbit/s tbf with 5 ms of delay
// on the sender's egress carried 9 Mbit/s of iperf3 TCP, held at the
// receiver's ingress 18.6 (measured here, lab/shaping/README.md). netem
// avoids this by orphaning the packets it holds (skb_orphan_partial in
// netem_enqueue); a userspace verdict cannot.
//
// Where the kernel has netem, one netem qdisc on `from`'s egress does the
// delay, jitter, loss and rate instead. Destruction removes every rule and
// qdisc it added and stops the delayer; remove_link_shaping clears what a
// crashed run left, by names alone.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "lab/shaping/link_shape.h"
#include "lab/shaping/nfqueue_delayer.h"

namespace tether::lab {

enum class ShapingMechanism { automatic, nfqueue, netem };

struct ShapingOptions {
  std::uint64_t seed = 1;  // the delayer's jitter and loss draws
  std::uint32_t queue_length = 10240;
  std::uint16_t first_queue = 1000;
  // automatic: netem where the kernel has it, else the NFQUEUE delayer.
  ShapingMechanism mechanism = ShapingMechanism::automatic;
  std::uint32_t tbf_queue_packets = 100;  // sim/world/point_to_point_link.h's queue_packets
  // The delayer copies each packet for a release tap (a capture of `to`,
  // set_release_tap below); off, it copies metadata only.
  bool copy_packets = false;
};

// A veth end: its namespace (empty: the caller's) and its name there.
struct LinkEnd {
  std::string netns;
  std::string veth;
};

class ShapedLink {
 public:
  // Shapes the packets that leave `from` and arrive at `to`, its peer.
  static Result<std::unique_ptr<ShapedLink>> install(const LinkEnd& from, const LinkEnd& to, const LinkShape& shape,
                                                     const ShapingOptions& options = {});
  ~ShapedLink();
  ShapedLink(const ShapedLink&) = delete;
  ShapedLink& operator=(const ShapedLink&) = delete;

  // The mechanism, for results.json: "nfqueue-delay+tbf", "nfqueue-delay",
  // "tbf", "netem", "netem+tbf" or "none".
  std::string describe() const;
  const LinkShape& shape() const { return shape_; }
  const LinkEnd& from() const { return from_; }
  const LinkEnd& to() const { return to_; }
  // The delayer's counters; nullopt on the netem path or without delay/loss.
  std::optional<DelayerStats> delayer_stats() const;
  std::optional<std::uint16_t> queue_number() const;
  // Hands every packet the delayer lets into `to` to `tap`, at that moment
  // (NfqueueDelayer::set_release_tap; installed with copy_packets). False
  // when there is no delayer to tap (netem, or no delay and no loss: then
  // `to` gets each packet as it arrives) or it was installed without
  // copy_packets.
  bool set_release_tap(ReleaseTap tap);

 private:
  ShapedLink() = default;
  Result<void> install_nfqueue(const ShapingOptions& options);
  Result<void> install_netem(const ShapingOptions& options);
  Result<void> install_tbf(const ShapingOptions& options);

  LinkEnd from_, to_;
  LinkShape shape_;
  std::unique_ptr<NfqueueDelayer> delayer_;
  bool netem_ = false, tbf_ = false;
};

// Deletes every rule tether's shaping added for packets arriving on `veth`
// in the namespace (iptables and ip6tables, found by their comment) and a
// tbf or netem root qdisc on it: call it for both ends of every link after
// a crash. Nothing to remove is no error; an error names what stayed.
Result<void> remove_link_shaping(const std::string& netns, const std::string& veth);

// Whether this kernel can run netem: tried once per process on a dummy
// device in a scratch namespace of its own (CONFIG_NET_SCH_NETEM may be a
// module that loads, or off, as here).
bool kernel_has_netem();

// The comment on the rules for packets arriving on `veth`: how
// remove_link_shaping finds them.
std::string shaping_rule_comment(const std::string& veth);

}  // namespace tether::lab
