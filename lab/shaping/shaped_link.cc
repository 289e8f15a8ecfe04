// ShapedLink: the delayer first, then the rules that feed it (so that no
// packet meets a queue nobody reads), then tbf; torn down in the reverse
// order. The netem path and the leftover sweep are here too.
#include "lab/shaping/shaped_link.h"

#include <unistd.h>

#include <algorithm>

#include <mutex>
#include <sstream>
#include <vector>

#include "lab/shaping/tool_command.h"

namespace tether::lab {

namespace {

const char* const kIptables[] = {"iptables", "ip6tables"};

std::string microseconds(Duration d) {
  return std::to_string((d.ns() + 500) / 1000) + "us";
}

// One feeding rule, as added (-A) or deleted (-D).
std::vector<std::string> rule(const char* tool, const char* verb, const std::string& veth, std::uint16_t queue) {
  return {tool, "-w", "-t", "mangle", verb, "PREROUTING", "-i", veth, "-m", "comment", "--comment",
          shaping_rule_comment(veth), "-j", "NFQUEUE", "--queue-num", std::to_string(queue)};
}

}  // namespace

std::string shaping_rule_comment(const std::string& veth) {
  return "tether-shaping:" + veth;
}

Result<std::unique_ptr<ShapedLink>> ShapedLink::install(const LinkEnd& from, const LinkEnd& to, const LinkShape& shape,
                                                        const ShapingOptions& options) {
  std::unique_ptr<ShapedLink> link(new ShapedLink());
  link->from_ = from, link->to_ = to, link->shape_ = shape;
  const bool netem = options.mechanism == ShapingMechanism::netem ||
                     (options.mechanism == ShapingMechanism::automatic && kernel_has_netem());
  // On any failure `link`'s destructor removes what was already added.
  if (netem && (shape.needs_delayer() || shape.rate_bps > 0)) {
    if (auto r = link->install_netem(options); !r) return r.error();
    return link;
  }
  if (shape.needs_delayer()) {
    if (auto r = link->install_nfqueue(options); !r) return r.error();
  }
  if (shape.rate_bps > 0) {
    if (auto r = link->install_tbf(options); !r) return r.error();
  }
  return link;
}

Result<void> ShapedLink::install_nfqueue(const ShapingOptions& options) {
  DelayerOptions d;
  d.netns = to_.netns, d.shape = shape_, d.seed = options.seed;
  d.queue_length = options.queue_length, d.first_queue = options.first_queue;
  d.copy_packets = options.copy_packets;
  auto delayer = NfqueueDelayer::start(d);
  if (!delayer) return delayer.error();
  delayer_ = std::move(*delayer);
  // No --queue-bypass: should the delayer be gone, the link drops (and the
  // experiment shows it) rather than passing packets undelayed.
  for (const char* tool : kIptables) {
    if (auto r = run_tool(to_.netns, rule(tool, "-A", to_.veth, delayer_->queue_number())); !r) return r.error();
  }
  return {};
}

Result<void> ShapedLink::install_tbf(const ShapingOptions& options) {
  // A burst of 1 ms at the rate (at least two full frames): tbf's timer is
  // a high-resolution one, so a small bucket keeps the rate smooth, and it
  // need not be larger for the rate to be reached. The queue holds as many
  // full frames as the simulation's device queue.
  const std::uint64_t burst = std::max<std::uint64_t>(shape_.rate_bps / 8 / 1000, 2 * 1514);
  const std::uint64_t limit = std::uint64_t(options.tbf_queue_packets) * 1514;
  if (auto r = run_tool(from_.netns, {"tc", "qdisc", "replace", "dev", from_.veth, "root", "handle", "1:", "tbf", "rate",
                                       std::to_string(shape_.rate_bps) + "bit", "burst", std::to_string(burst), "limit", std::to_string(limit)});
      !r)
    return r.error();
  tbf_ = true;
  return {};
}

Result<void> ShapedLink::install_netem(const ShapingOptions&) {
  // netem's own normal table (not cut at 3 std-devs as the simulation's
  // draw is). Its jitter reorders unless packets are paced by its `rate`,
  // which times each packet after the one before it (netem_enqueue), so
  // an in-order jittered link gets a rate even when the scenario gives
  // none (100 Gbit/s: no pacing worth the name).
  std::vector<std::string> argv = {"tc", "qdisc", "replace", "dev", from_.veth, "root", "handle", "1:", "netem",
                                   "delay", microseconds(shape_.delay)};
  if (shape_.jitter.ns() > 0) argv.insert(argv.end(), {microseconds(shape_.jitter), "distribution", "normal"});
  if (shape_.loss > 0) {
    std::ostringstream percent;
    percent << shape_.loss * 100 << "%";
    argv.insert(argv.end(), {"loss", "random", percent.str()});
  }
  if (shape_.rate_bps > 0 || (shape_.jitter.ns() > 0 && !shape_.reorder))
    argv.insert(argv.end(), {"rate", std::to_string(shape_.rate_bps > 0 ? shape_.rate_bps : 100'000'000'000ull) + "bit"});
  if (auto r = run_tool(from_.netns, argv); !r) return r.error();
  netem_ = true;
  return {};
}

ShapedLink::~ShapedLink() {
  // The rules first: once they are gone no new packet reaches the queue,
  // and the delayer can give back what it holds and unbind.
  if (delayer_) {
    for (const char* tool : kIptables) {
      (void)run_tool(to_.netns, rule(tool, "-D", to_.veth, delayer_->queue_number()));
    }
    delayer_.reset();
  }
  if (tbf_ || netem_) (void)run_tool(from_.netns, {"tc", "qdisc", "del", "dev", from_.veth, "root"});
}

std::string ShapedLink::describe() const {
  if (netem_) return "netem";
  if (delayer_ && tbf_) return "nfqueue-delay+tbf";
  if (delayer_) return "nfqueue-delay";
  if (tbf_) return "tbf";
  return "none";
}

std::optional<DelayerStats> ShapedLink::delayer_stats() const {
  if (!delayer_) return std::nullopt;
  return delayer_->stats();
}

bool ShapedLink::set_release_tap(ReleaseTap tap) {
  return delayer_ && delayer_->set_release_tap(std::move(tap));
}

std::optional<std::uint16_t> ShapedLink::queue_number() const {
  if (!delayer_) return std::nullopt;
  return delayer_->queue_number();
}

Result<void> remove_link_shaping(const std::string& netns, const std::string& veth) {
  std::string problems;
  const std::string tag = "/* " + shaping_rule_comment(veth) + " */";
  for (const char* tool : kIptables) {
    auto listing = run_tool(netns, {tool, "-w", "-t", "mangle", "-L", "PREROUTING", "-n", "--line-numbers"});
    if (!listing) {
      problems += listing.error().message + "\n";
      continue;
    }
    // Highest number first, so the numbers still to delete stay valid.
    std::vector<std::string> numbers;
    std::istringstream lines(*listing);
    for (std::string line; std::getline(lines, line);)
      if (line.find(tag) != std::string::npos) numbers.insert(numbers.begin(), line.substr(0, line.find(' ')));
    for (const auto& n : numbers) {
      if (auto r = run_tool(netns, {tool, "-w", "-t", "mangle", "-D", "PREROUTING", n}); !r) problems += r.error().message + "\n";
    }
  }
  auto qdiscs = run_tool(netns, {"tc", "qdisc", "show", "dev", veth, "root"});
  if (qdiscs && (qdiscs->rfind("qdisc tbf 1:", 0) == 0 || qdiscs->rfind("qdisc netem 1:", 0) == 0)) {
    if (auto r = run_tool(netns, {"tc", "qdisc", "del", "dev", veth, "root"}); !r) problems += r.error().message + "\n";
  }
  if (!problems.empty()) return Error(ErrorCode::io, "shaping of " + veth + " not fully removed: " + problems);
  return {};
}

bool kernel_has_netem() {
  static std::once_flag tried;
  static bool has = false;
  std::call_once(tried, [] {
    // Named as the tests' namespaces are (tether-PURPOSE-PID-N), so a sweep
    // of a dead process's namespaces finds it.
    const std::string scratch = "tether-netemprobe-" + std::to_string(::getpid()) + "-0";
    if (!run_tool("", {"ip", "netns", "add", scratch})) return;
    has = run_tool(scratch, {"tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"}).ok();
    (void)run_tool("", {"ip", "netns", "del", scratch});
  });
  return has;
}

}  // namespace tether::lab
