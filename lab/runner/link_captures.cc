// Every lab link end captured in its namespace (link_captures.h).

#include "lab/runner/link_captures.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

#include "lab/runner/ordered_pcap_writer.h"
#include "lab/runner/released_frame.h"
#include "pcap/live_capture.h"
#include "pcap/pcap_writer.h"

namespace tether::lab {

namespace {

constexpr int kEthernet = 1;  // DLT_EN10MB: what a veth gives
// Longer than a packet socket's record lags behind its stamp on a loaded
// machine (its thread is woken per packet, immediate mode).
constexpr Duration kOrderWindow = Duration::milliseconds(250);

struct Opened {
  std::unique_ptr<pcap::LiveCapture> capture;
  MacAddress mac{};
};

// The interface's own hardware address, asked from inside its namespace.
Result<MacAddress> hardware_address(const std::string& interface) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(ErrorCode::io, std::string("socket: ") + std::strerror(errno));
  ifreq request{};
  std::strncpy(request.ifr_name, interface.c_str(), IFNAMSIZ - 1);
  const int rc = ::ioctl(fd, SIOCGIFHWADDR, &request);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error(ErrorCode::not_found, interface + ": no hardware address: " + std::strerror(err));
  MacAddress mac;
  std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

std::string mac_text(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

// For an end whose incoming IP packets come from its delay line: what it
// sends, and what else it receives. A veth end sends every frame from its
// own address and receives every frame from its peer's, so the source
// address tells the direction. (Not libpcap's `outbound`: it reads the
// packet socket's direction with a BPF extension (SKF_AD_PKTTYPE) that
// libpcap's userland filter cannot evaluate, and pcap_setfilter_linux_mmap
// has at least the first ring block after a new filter filtered in
// userland: the first packet sent went missing.)
std::string sent_or_not_ip(const MacAddress& own) { return "ether src " + mac_text(own) + " or not (ip or ip6)"; }

// Opens the capture from inside `netns`: a packet socket belongs to the
// namespace it is made in, whatever thread reads it later.
Result<Opened> open_in(const std::string& netns, const std::string& interface, bool delayed) {
  std::promise<Result<Opened>> opened;
  std::thread([&] {
    const int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      opened.set_value(Error(ErrorCode::internal, "capture: into " + netns + ": " + why));
      return;
    }
    ::close(fd);
    auto mac = hardware_address(interface);
    if (!mac.ok()) return opened.set_value(mac.error());
    pcap::LiveCaptureOptions options;
    options.interface = interface;
    if (delayed) options.filter = sent_or_not_ip(*mac);
    options.buffer_size = 8u << 20;  // many captures at once: 8 MiB each
    auto capture = pcap::LiveCapture::open(options);
    if (!capture.ok()) return opened.set_value(capture.error());
    opened.set_value(Opened{std::move(*capture), *mac});
  }).join();
  return opened.get_future().get();
}

ShapedLink* delay_line_into(const CaptureEnd& end, const std::vector<ShapedLink*>& delay_lines) {
  for (ShapedLink* line : delay_lines)
    if (line && line->to().netns == end.netns && line->to().veth == end.interface) return line;
  return nullptr;
}

}  // namespace

struct LinkCaptures::End {
  std::unique_ptr<pcap::LiveCapture> capture;
  std::unique_ptr<OrderedPcapWriter> writer;
  ShapedLink* delay_line = nullptr;  // tapped for the incoming IP packets, until stop()
  bool delayed = false;
  std::thread thread;
  std::string name;
  std::string problem;
};

std::vector<CaptureEnd> capture_ends(const LabWorld& world) {
  std::vector<CaptureEnd> ends;
  for (const PlannedLink& link : world.plan().links)
    for (int end = 0; end < 2; ++end)
      ends.push_back({link.name + "-" + std::to_string(end), world.namespace_of(link.node[end]), link.interface[end]});
  return ends;
}

Result<std::unique_ptr<LinkCaptures>> LinkCaptures::start(const LabWorld& world,
                                                          const std::vector<ShapedLink*>& delay_lines,
                                                          const std::filesystem::path& pcap_dir,
                                                          std::chrono::system_clock::time_point zero) {
  return start(capture_ends(world), delay_lines, pcap_dir, world.scenario().epoch, zero);
}

Result<std::unique_ptr<LinkCaptures>> LinkCaptures::start(const std::vector<CaptureEnd>& ends,
                                                          const std::vector<ShapedLink*>& delay_lines,
                                                          const std::filesystem::path& pcap_dir, WallTime epoch,
                                                          std::chrono::system_clock::time_point zero) {
  std::error_code ec;
  std::filesystem::create_directories(pcap_dir, ec);
  if (ec) return Error(ErrorCode::io, pcap_dir.string() + ": " + ec.message());
  const std::int64_t zero_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(zero.time_since_epoch()).count();
  // On the scenario's clock: epoch + (wall time - the run's start).
  auto on_scenario_clock = [epoch, zero_ns](std::int64_t unix_ns) { return epoch + Duration::nanoseconds(unix_ns - zero_ns); };
  std::unique_ptr<LinkCaptures> captures(new LinkCaptures());
  for (const CaptureEnd& where : ends) {
    auto e = std::make_unique<End>();
    e->name = where.name;
    ShapedLink* line = delay_line_into(where, delay_lines);
    auto opened = open_in(where.netns, where.interface, line != nullptr);
    if (!opened.ok()) return Error(opened.error().code, e->name + ": " + opened.error().message);
    e->capture = std::move(opened->capture);
    if (e->capture->link_type() != kEthernet && line)
      return Error(ErrorCode::internal, e->name + ": link type " + std::to_string(e->capture->link_type()) +
                                            ", not Ethernet: cannot rebuild the delayed packets' frames");
    auto writer = pcap::PcapWriter::create((pcap_dir / (e->name + ".pcap")).string(), e->capture->link_type());
    if (!writer.ok()) return Error(writer.error().code, e->name + ": " + writer.error().message);
    e->writer = std::make_unique<OrderedPcapWriter>(std::move(*writer), kOrderWindow);
    OrderedPcapWriter* out = e->writer.get();
    if (line) {
      const MacAddress own = opened->mac;
      if (!line->set_release_tap([out, own, on_scenario_clock](const ReleasedPacket& p) {
            const Bytes frame = ethernet_frame(p.packet, p.source_hw, own);
            out->write(on_scenario_clock(p.unix_ns), ByteView(frame), std::uint32_t(frame.size()));
          }))
        return Error(ErrorCode::internal, e->name + ": its delay line was installed without copy_packets");
      e->delay_line = line;
      e->delayed = true;
    }
    End* raw = e.get();
    e->thread = std::thread([raw, out, on_scenario_clock] {
      auto r = raw->capture->run([&](const pcap::Record& record) {
        out->write(on_scenario_clock(record.at.unix_ns()), record.data, record.original_length);
      });
      if (!r.ok()) raw->problem = raw->name + ": " + r.error().message;
    });
    captures->ends_.push_back(std::move(e));
  }
  return captures;
}

std::vector<std::string> LinkCaptures::delayed_ends() const {
  std::vector<std::string> names;
  for (const auto& e : ends_)
    if (e->delayed) names.push_back(e->name);
  return names;
}

std::vector<std::string> LinkCaptures::stop() {
  std::vector<std::string> problems;
  for (auto& e : ends_) {
    if (e->delay_line) e->delay_line->set_release_tap({});  // once it returns, no more calls into the writer
    e->delay_line = nullptr;
    if (e->thread.joinable()) {
      e->capture->stop();
      e->thread.join();
    }
    if (!e->problem.empty()) problems.push_back(e->problem);
    e->problem.clear();
    if (const std::uint64_t late = e->writer->out_of_order())
      problems.push_back(e->name + ": " + std::to_string(late) + " records written out of time order (later than " +
                         format_duration(kOrderWindow) + ")");
    if (auto r = e->writer->close(); !r.ok()) problems.push_back(e->name + ": " + r.error().message);
  }
  return problems;
}

LinkCaptures::~LinkCaptures() { stop(); }

}  // namespace tether::lab
