#pragma once
// Capturing live from an interface through libpcap, with a BPF filter,
// nanosecond timestamps, records delivered as they come (immediate mode)
// and a clean stop from another thread: what the lab uses, not tcpdump.
// Feed the records to a Decoder made for link_type().

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/time.h"
#include "pcap/capture_file.h"

// libpcap's handles (pcap_t, pcap_dumper_t), declared here so that
// <pcap/pcap.h> stays out of the headers.
struct pcap;
struct pcap_dumper;
struct pcap_pkthdr;

namespace tether::pcap {

struct LiveCaptureOptions {
  std::string interface;  // "eth0", "any", "lo"
  std::string filter;     // BPF, as tcpdump takes it ("udp port 51820"); empty: everything
  std::uint32_t snaplen = 262144;
  // The kernel's ring for this capture, in bytes. In immediate mode libpcap
  // uses TPACKET_V2, one fixed-size slot per packet, sized for the largest
  // packet the interface may hand over: with segmentation offload (veth,
  // loopback) that is 64 KiB, in a 128 KiB block (pcap-linux.c,
  // create_ring). libpcap's default of 2 MiB then holds 16 packets, and a
  // burst that comes before this thread is scheduled is dropped (seen here:
  // 5 of 120 packets of an iperf3 transfer through wireguard-go on a veth,
  // which dumpcap, on TPACKET_V3's packed blocks, kept). 64 MiB holds 512.
  std::uint32_t buffer_size = 64u << 20;
  bool promiscuous = false;
  // The link type to ask for (DLT_*), where the interface offers several
  // ("any" offers LINUX_SLL and LINUX_SLL2); 0: the interface's default.
  int link_type = 0;
  // How long a wait for packets lasts before the loop looks at the stop
  // flag again, in case pcap_breakloop's wake-up is missed.
  Duration poll = Duration::milliseconds(100);
};

class LiveCapture {
 public:
  // Needs CAP_NET_RAW. Errors name the interface (and the filter, when it
  // does not compile).
  static Result<std::unique_ptr<LiveCapture>> open(const LiveCaptureOptions& options);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  int link_type() const { return link_type_; }
  const std::string& interface() const { return interface_; }

  // Hands over each record (numbered from 1) until stop(); returns then, or
  // with an error if libpcap fails (the interface went away).
  Result<void> run(const std::function<void(const Record&)>& on_record);
  // From any thread: run() returns after the record it is on, if any.
  void stop();

  // What the kernel counted: received by the filter, dropped for lack of
  // buffer space (pcap_stats).
  struct Stats {
    std::uint64_t received = 0, dropped = 0;
  };
  Stats stats() const;

 private:
  LiveCapture() = default;
  static void deliver(unsigned char* user, const ::pcap_pkthdr* header, const unsigned char* data);

  std::string interface_;
  ::pcap* handle_ = nullptr;
  int link_type_ = 0;
  std::atomic<bool> stopping_{false};
  std::uint64_t records_ = 0;
  const std::function<void(const Record&)>* on_record_ = nullptr;
};

}  // namespace tether::pcap
