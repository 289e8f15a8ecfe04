// Every lab link end captured in its namespace (link_captures.h).

#include "lab/runner/link_captures.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <thread>

#include "pcap/live_capture.h"
#include "pcap/pcap_writer.h"

namespace tether::lab {

struct LinkCaptures::End {
  std::unique_ptr<pcap::LiveCapture> capture;
  std::unique_ptr<pcap::PcapWriter> writer;
  std::thread thread;
  std::string name;
  std::string problem;
};

namespace {

// Opens the capture from inside `netns`: a packet socket belongs to the
// namespace it is made in, whatever thread reads it later.
Result<std::unique_ptr<pcap::LiveCapture>> open_in(const std::string& netns, const std::string& interface) {
  std::promise<Result<std::unique_ptr<pcap::LiveCapture>>> opened;
  std::thread([&] {
    const int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      opened.set_value(Error(ErrorCode::internal, "capture: into " + netns + ": " + why));
      return;
    }
    ::close(fd);
    pcap::LiveCaptureOptions options;
    options.interface = interface;
    options.buffer_size = 8u << 20;  // many captures at once: 8 MiB each
    opened.set_value(pcap::LiveCapture::open(options));
  }).join();
  return opened.get_future().get();
}

}  // namespace

Result<std::unique_ptr<LinkCaptures>> LinkCaptures::start(const LabWorld& world, const std::filesystem::path& pcap_dir,
                                                          std::chrono::system_clock::time_point zero) {
  std::error_code ec;
  std::filesystem::create_directories(pcap_dir, ec);
  if (ec) return Error(ErrorCode::io, pcap_dir.string() + ": " + ec.message());
  const WallTime epoch = world.scenario().epoch;
  const std::int64_t zero_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(zero.time_since_epoch()).count();
  std::unique_ptr<LinkCaptures> captures(new LinkCaptures());
  for (const PlannedLink& link : world.plan().links) {
    for (int end = 0; end < 2; ++end) {
      auto e = std::make_unique<End>();
      e->name = link.name + "-" + std::to_string(end);
      auto capture = open_in(world.namespace_of(link.node[end]), link.interface[end]);
      if (!capture.ok()) return Error(capture.error().code, e->name + ": " + capture.error().message);
      e->capture = std::move(*capture);
      auto writer = pcap::PcapWriter::create((pcap_dir / (e->name + ".pcap")).string(), e->capture->link_type());
      if (!writer.ok()) return Error(writer.error().code, e->name + ": " + writer.error().message);
      e->writer = std::move(*writer);
      End* raw = e.get();
      e->thread = std::thread([raw, epoch, zero_ns] {
        auto r = raw->capture->run([&](const pcap::Record& record) {
          // On the scenario's clock: epoch + (wall time - the run's start).
          raw->writer->write(epoch + Duration::nanoseconds(record.at.unix_ns() - zero_ns), record.data,
                             record.original_length);
        });
        if (!r.ok()) raw->problem = raw->name + ": " + r.error().message;
      });
      captures->ends_.push_back(std::move(e));
    }
  }
  return captures;
}

std::vector<std::string> LinkCaptures::stop() {
  std::vector<std::string> problems;
  for (auto& e : ends_) {
    if (!e->thread.joinable()) continue;
    e->capture->stop();
    e->thread.join();
    if (!e->problem.empty()) problems.push_back(e->problem);
    if (auto r = e->writer->close(); !r.ok()) problems.push_back(e->name + ": " + r.error().message);
  }
  return problems;
}

LinkCaptures::~LinkCaptures() { stop(); }

}  // namespace tether::lab
