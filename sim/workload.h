#pragma once
// The scenario's workload: messages handed to a sender's MailRelay the way a
// user's mail client hands them over, through a real SMTP session (the
// smtp::ClientSession core over a Host TcpStream) from the sender's hidden
// submission node (world_builder.h). Message i is submitted at
// start + i * interval and carries Message-ID <sim-I.SEED@SENDER-HOSTNAME>,
// by which metrics.h finds it in the final maildir.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "host/host.h"
#include "sim/scenario.h"

namespace tether::sim {

struct Submission {
  std::uint64_t index = 0;
  std::string message_id;  // with the angle brackets
  Time submitted;          // when the SMTP session started
  Time finished = Time::never();
  bool accepted = false;
  std::string error;       // when not accepted
};

class Workload {
 public:
  // `host` is the submission node's; `server` the sender relay's listener.
  Workload(Host& host, Endpoint server, const WorkloadSpec& spec, std::uint64_t seed, std::string sender_hostname);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Schedules every submission (times relative to now).
  void start();
  const std::vector<Submission>& submissions() const { return submissions_; }
  std::function<void(const Submission&)> on_submitted;  // accepted or not

  static std::string message_id(std::uint64_t index, std::uint64_t seed, const std::string& hostname);

 private:
  class Session;
  void submit(std::uint64_t index);
  std::string message(std::uint64_t index) const;

  Host& host_;
  Endpoint server_;
  WorkloadSpec spec_;
  std::uint64_t seed_;
  std::string hostname_;
  std::unique_ptr<Timer> timer_;
  std::uint64_t next_ = 0;
  std::vector<Submission> submissions_;
  std::vector<std::unique_ptr<Session>> sessions_;
};

// The home's own traffic through the tunnel (scenario.h HomeActivitySpec):
// one UDP datagram to `to` every interval, from a socket on the home's Host,
// routed into the tunnel by the AllowedIPs route like any app's packet.
class HomeActivity {
 public:
  HomeActivity(Host& host, const HomeActivitySpec& spec);
  ~HomeActivity();
  HomeActivity(const HomeActivity&) = delete;
  HomeActivity& operator=(const HomeActivity&) = delete;

  void start();
  std::uint64_t sent() const { return sent_; }
  std::function<void(const std::string& detail)> on_sent;

 private:
  void send();

  Host& host_;
  HomeActivitySpec spec_;
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<Timer> timer_;
  Time first_ = Time::zero();
  std::uint64_t sent_ = 0;
};

}  // namespace tether::sim
