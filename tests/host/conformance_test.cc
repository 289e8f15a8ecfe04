// The Host conformance suite: the same test code against every driver, so
// that an app written against Host behaves alike on the manual clock, on
// Linux and in ns-3.

#include <fcntl.h>
#include <unistd.h>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "host/host_fixture.h"
#include "host/tunnel_round_trip.h"
#include "posix/posix_host_fixture.h"
#include "sim/host/sim_host_fixture.h"
#include "sim/host/simulated_durability.h"
#include "smtp/durable_file.h"
#include "support/root_precondition.h"
#include "support/ipv4_icmp.h"
#include "support/manual_host_fixture.h"

using namespace tether;
using namespace tether::testing;

using Drivers = boost::mpl::list<ManualHostFixture, PosixHostFixture, SimHostFixture>;
using UnprivilegedTunnelDrivers = boost::mpl::list<ManualHostFixture, SimHostFixture>;

namespace {

const Duration kLimit = Duration::seconds(10);

}  // namespace

BOOST_AUTO_TEST_SUITE(host_conformance)

BOOST_AUTO_TEST_CASE_TEMPLATE(timers_fire_in_deadline_order, F, Drivers) {
  F f;
  Host& host = f.host();
  std::vector<int> fired;
  std::vector<Time> fired_at;
  Time start = host.now();
  auto make = [&](int id) {
    return host.create_timer([&, id] {
      fired.push_back(id);
      fired_at.push_back(host.now());
    });
  };
  auto t30 = make(30), t10 = make(10), t20 = make(20);
  t30->arm_at(start + Duration::milliseconds(30));
  t10->arm_at(start + Duration::milliseconds(10));
  t20->arm_at(start + Duration::milliseconds(20));
  BOOST_TEST(t10->armed());
  BOOST_TEST(fired.empty());  // never fires from inside arm_at
  BOOST_TEST_REQUIRE(f.run_until([&] { return fired.size() == 3; }, kLimit), f.driver_name());
  BOOST_TEST((fired == std::vector<int>{10, 20, 30}));
  BOOST_TEST(fired_at[0] >= start + Duration::milliseconds(10));
  BOOST_TEST(fired_at[2] >= start + Duration::milliseconds(30));
  BOOST_TEST(!t10->armed());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cancel_and_rearm, F, Drivers) {
  F f;
  Host& host = f.host();
  int cancelled_fired = 0, rearmed_fired = 0, destroyed_fired = 0;
  Time rearmed_at;
  auto cancelled = host.create_timer([&] { ++cancelled_fired; });
  auto rearmed = host.create_timer([&] {
    ++rearmed_fired;
    rearmed_at = host.now();
  });
  auto destroyed = host.create_timer([&] { ++destroyed_fired; });
  Time start = host.now();
  cancelled->arm_at(start + Duration::milliseconds(5));
  cancelled->cancel();
  BOOST_TEST(!cancelled->armed());
  rearmed->arm_at(start + Duration::milliseconds(5));
  rearmed->arm_at(start + Duration::milliseconds(40));  // replaces the first deadline
  destroyed->arm_at(start + Duration::milliseconds(5));
  destroyed.reset();
  f.run_for(Duration::milliseconds(80));
  BOOST_TEST(cancelled_fired == 0);
  BOOST_TEST(destroyed_fired == 0);
  BOOST_TEST(rearmed_fired == 1);
  BOOST_TEST(rearmed_at >= start + Duration::milliseconds(40));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(post_runs_later_not_inside, F, Drivers) {
  F f;
  std::vector<std::string> order;
  f.host().post([&] { order.push_back("posted"); });
  order.push_back("caller");
  BOOST_TEST_REQUIRE(f.run_until([&] { return order.size() == 2; }, kLimit));
  BOOST_TEST((order == std::vector<std::string>{"caller", "posted"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(run_blocking_runs_work_then_done_from_the_loop, F, Drivers) {
  F f;
  std::vector<std::string> order;
  int work_result = 0;
  // `work` may run on another thread: it touches only what it was given.
  f.host().run_blocking([&work_result] { work_result = 42; },
                        [&] { order.push_back("done saw " + std::to_string(work_result)); });
  order.push_back("caller");  // done never runs inside run_blocking
  BOOST_TEST_REQUIRE(f.run_until([&] { return order.size() == 2; }, kLimit), f.driver_name());
  BOOST_TEST((order == std::vector<std::string>{"caller", "done saw 42"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(run_blocking_completes_many_jobs, F, Drivers) {
  F f;
  constexpr int kJobs = 200;
  std::vector<int> results(kJobs, 0);  // one slot per job: no two threads share one
  std::vector<int> done_order;
  for (int i = 0; i < kJobs; ++i)
    f.host().run_blocking([slot = &results[i], i] { *slot = i + 1; }, [&done_order, i] { done_order.push_back(i); });
  BOOST_TEST(done_order.empty());
  BOOST_TEST_REQUIRE(f.run_until([&] { return done_order.size() == kJobs; }, kLimit), f.driver_name());
  for (int i = 0; i < kJobs; ++i) BOOST_TEST(results[i] == i + 1);
  std::sort(done_order.begin(), done_order.end());
  BOOST_TEST((std::adjacent_find(done_order.begin(), done_order.end()) == done_order.end()));  // each done once
}

BOOST_AUTO_TEST_CASE_TEMPLATE(udp_echo, F, Drivers) {
  F f;
  Host& host = f.host();
  auto server = host.udp_bind(Endpoint(f.loopback(), 0));
  BOOST_TEST_REQUIRE(server.ok(), (server.ok() ? "" : server.error().to_string()));
  auto client = host.udp_bind(Endpoint(f.loopback(), 0));
  BOOST_TEST_REQUIRE(client.ok());
  BOOST_TEST((*server)->local_endpoint().port() != 0);
  UdpSocket* server_socket = server->get();
  server_socket->set_receive_handler([server_socket](const Endpoint& from, ByteView payload) {
    (void)server_socket->send_to(from, payload);
  });
  std::vector<Bytes> got;
  Endpoint reply_from;
  (*client)->set_receive_handler([&](const Endpoint& from, ByteView payload) {
    got.push_back(payload.to_bytes());
    reply_from = from;
  });
  Bytes small = pattern(5), large = pattern(1400);
  BOOST_TEST_REQUIRE((*client)->send_to((*server)->local_endpoint(), small).ok());
  BOOST_TEST_REQUIRE((*client)->send_to((*server)->local_endpoint(), large).ok());
  BOOST_TEST(got.empty());  // not delivered inside send_to
  BOOST_TEST_REQUIRE(f.run_until([&] { return got.size() == 2; }, kLimit), f.driver_name());
  BOOST_TEST((got[0] == small));
  BOOST_TEST((got[1] == large));
  BOOST_TEST(reply_from == (*server)->local_endpoint());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(udp_bind_conflict_is_an_error, F, Drivers) {
  F f;
  auto first = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_TEST_REQUIRE(first.ok());
  auto second = f.host().udp_bind((*first)->local_endpoint());
  BOOST_TEST_REQUIRE(!second.ok());
  BOOST_TEST(second.error().code == ErrorCode::address_in_use);
  BOOST_TEST(second.error().message.find(std::to_string((*first)->local_endpoint().port())) != std::string::npos,
             second.error().message);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tcp_echo, F, Drivers) {
  F f;
  Host& host = f.host();
  std::unique_ptr<TcpStream> accepted;
  bool server_saw_eof = false;
  auto listener = host.tcp_listen(Endpoint(f.loopback(), 0), [&](std::unique_ptr<TcpStream> stream) {
    accepted = std::move(stream);
    TcpStream* s = accepted.get();
    TcpStream::Handlers h;
    h.on_data = [s](ByteView data) { s->write(data); };
    h.on_closed = [&, s](const Error& reason) {
      server_saw_eof = reason.code == ErrorCode::closed;
      s->shutdown_write();
    };
    s->set_handlers(std::move(h));
  });
  BOOST_TEST_REQUIRE(listener.ok(), (listener.ok() ? "" : listener.error().to_string()));

  const Bytes message = pattern(200'000);
  Bytes echoed;
  bool connected = false, client_closed = false;
  ErrorCode client_close_code = ErrorCode::internal;
  TcpStream* client_raw = nullptr;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) {
    connected = r.ok();
    if (connected) {
      client_raw->write(message);
      client_raw->shutdown_write();
    }
  };
  h.on_data = [&](ByteView data) { append(echoed, data); };
  h.on_closed = [&](const Error& reason) {
    client_closed = true;
    client_close_code = reason.code;
  };
  auto client = host.tcp_connect((*listener)->local_endpoint(), std::move(h));
  client_raw = client.get();
  BOOST_TEST_REQUIRE(f.run_until([&] { return client_closed; }, kLimit), f.driver_name());
  BOOST_TEST(connected);
  BOOST_TEST(server_saw_eof);
  BOOST_TEST(client_close_code == ErrorCode::closed);
  BOOST_TEST(echoed.size() == message.size());
  BOOST_TEST((echoed == message));
  BOOST_TEST(client->remote_endpoint() == (*listener)->local_endpoint());
  BOOST_TEST(accepted->remote_endpoint() == client->local_endpoint());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tcp_connection_refused, F, Drivers) {
  F f;
  Host& host = f.host();
  Endpoint closed_port;
  {
    // A port that was free a moment ago and now has no listener.
    auto l = host.tcp_listen(Endpoint(f.loopback(), 0), [](std::unique_ptr<TcpStream>) {});
    BOOST_TEST_REQUIRE(l.ok());
    closed_port = (*l)->local_endpoint();
  }
  std::optional<Result<void>> outcome;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) { outcome = r; };
  auto client = host.tcp_connect(closed_port, std::move(h));
  BOOST_TEST(!outcome.has_value());
  BOOST_TEST_REQUIRE(f.run_until([&] { return outcome.has_value(); }, kLimit), f.driver_name());
  BOOST_TEST_REQUIRE(!outcome->ok());
  BOOST_TEST(outcome->error().code == ErrorCode::connection_refused, outcome->error().to_string());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tcp_peer_closing, F, Drivers) {
  F f;
  Host& host = f.host();
  std::unique_ptr<TcpStream> accepted;
  auto listener = host.tcp_listen(Endpoint(f.loopback(), 0), [&](std::unique_ptr<TcpStream> stream) {
    accepted = std::move(stream);
    accepted->set_handlers({});
    accepted->write(ByteView(std::string_view("221 bye\r\n")));
    accepted->close();  // the peer hangs up right after its last words
  });
  BOOST_TEST_REQUIRE(listener.ok());
  std::string received;
  std::optional<Error> closed_reason;
  TcpStream::Handlers h;
  h.on_data = [&](ByteView data) { received += std::string(data.as_string()); };
  h.on_closed = [&](const Error& reason) { closed_reason = reason; };
  auto client = host.tcp_connect((*listener)->local_endpoint(), std::move(h));
  BOOST_TEST_REQUIRE(f.run_until([&] { return closed_reason.has_value(); }, kLimit), f.driver_name());
  BOOST_TEST(received == "221 bye\r\n");
  BOOST_TEST(closed_reason->code == ErrorCode::closed, closed_reason->to_string());
}

// A listener that stops accepting keeps listening (OpenSMTPD's smtp_pause()):
// clients complete their handshake into the accept queue and wait, silent,
// up to the backlog (Linux holds backlog + 1); the next client's SYN is
// dropped, so it neither connects nor is refused. Accepting again hands the
// queued connections over with what their clients sent meanwhile.
BOOST_AUTO_TEST_CASE_TEMPLATE(tcp_listener_not_accepting_queues_up_to_its_backlog, F, Drivers) {
  F f;
  Host& host = f.host();
  std::vector<std::unique_ptr<TcpStream>> accepted;
  std::vector<std::string> received(3);
  TcpListenOptions listen_options;
  listen_options.backlog = 2;
  auto listener = host.tcp_listen(
      Endpoint(f.loopback(), 0),
      [&](std::unique_ptr<TcpStream> stream) {
        TcpStream* s = stream.get();
        const std::size_t n = accepted.size();
        accepted.push_back(std::move(stream));
        TcpStream::Handlers h;
        h.on_data = [&, n](ByteView data) {
          if (n < received.size()) received[n] += std::string(data.as_string());
        };
        s->set_handlers(std::move(h));
      },
      listen_options);
  BOOST_TEST_REQUIRE(listener.ok(), (listener.ok() ? "" : listener.error().to_string()));
  (*listener)->set_accepting(false);

  struct Client {
    std::unique_ptr<TcpStream> stream;
    std::optional<Result<void>> outcome;
  };
  std::vector<std::unique_ptr<Client>> clients;
  auto connect = [&](const std::string& greeting, std::optional<Duration> timeout) {
    auto c = std::make_unique<Client>();
    Client* raw = c.get();
    TcpStream::Handlers h;
    h.on_connected = [raw, greeting](Result<void> r) {
      raw->outcome = r;
      if (r.ok()) raw->stream->write(ByteView(std::string_view(greeting)));
    };
    TcpConnectOptions options;
    options.timeout = timeout;
    raw->stream = host.tcp_connect((*listener)->local_endpoint(), std::move(h), options);
    clients.push_back(std::move(c));
    return raw;
  };
  for (const char* greeting : {"one", "two", "three"}) connect(greeting, std::nullopt);
  auto all_connected = [&] {
    return std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->outcome.has_value(); });
  };
  BOOST_TEST_REQUIRE(f.run_until(all_connected, kLimit), f.driver_name());
  for (const auto& c : clients)
    BOOST_TEST(c->outcome->ok(), (c->outcome->ok() ? "" : c->outcome->error().to_string()));

  // The queue is full: a fourth client hears nothing, not even a refusal.
  Client* late = connect("four", Duration::milliseconds(2500));
  f.run_for(Duration::seconds(2));
  BOOST_TEST(accepted.empty(), f.driver_name());
  BOOST_TEST(!late->outcome.has_value(), f.driver_name());
  late->stream.reset();
  clients.pop_back();

  (*listener)->set_accepting(true);
  BOOST_TEST(accepted.empty());  // handed over from the loop, not inside set_accepting
  auto all_read = [&] {
    return accepted.size() == 3 && std::all_of(received.begin(), received.end(), [](const std::string& r) {
             return !r.empty();
           });
  };
  BOOST_TEST_REQUIRE(f.run_until(all_read, kLimit), f.driver_name());
  std::vector<std::string> sorted = received;
  std::sort(sorted.begin(), sorted.end());
  BOOST_TEST((sorted == std::vector<std::string>{"one", "three", "two"}));

  // Accepting again means new clients are taken at once.
  Client* next = connect("five", std::nullopt);
  BOOST_TEST_REQUIRE(f.run_until([&] { return accepted.size() == 4 && next->outcome.has_value(); }, kLimit),
                     f.driver_name());
  BOOST_TEST(next->outcome->ok());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tunnel_device_round_trip, F, UnprivilegedTunnelDrivers) {
  F f;
  check_tunnel_device_round_trip(f);
}

// The Linux driver's TUN device needs root (a TUN device in a private
// network namespace): a case of its own with the root label.
BOOST_AUTO_TEST_CASE(tunnel_device_round_trip_posix,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f;
  check_tunnel_device_round_trip(f);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(random_bytes_are_not_constant, F, Drivers) {
  F f;
  std::array<std::uint8_t, 32> a{}, b{};
  f.host().random_bytes(a);
  f.host().random_bytes(b);
  BOOST_TEST((ByteView(a) != ByteView(b)));
  BOOST_TEST(f.host().random_below(10) < 10u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(storage_root_is_a_writable_directory, F, Drivers) {
  F f;
  const auto& root = f.host().storage_root();
  BOOST_TEST_REQUIRE(std::filesystem::is_directory(root), root.string());
  auto probe = root / "conformance-probe";
  { std::ofstream(probe) << "x"; }
  BOOST_TEST(std::filesystem::file_size(probe) == 1u);
  std::filesystem::remove(probe);
}

// What the queue and local delivery ask of durability() behaves alike in
// every driver, whether it reaches the disk or not: syncs of an open file
// and of an existing directory succeed, a missing directory is an io error
// naming it (the queue's removal tells a concurrently removed directory by
// it), and so is a bad descriptor.
BOOST_AUTO_TEST_CASE_TEMPLATE(durability_syncs_files_and_directories_under_storage, F, Drivers) {
  F f;
  const Durability& durability = f.host().durability();
  const auto root = f.host().storage_root();
  const auto dir = root / "conformance-durability";
  std::filesystem::create_directories(dir);
  const auto file = dir / "file";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  BOOST_TEST_REQUIRE(fd >= 0);
  BOOST_TEST(::write(fd, "x", 1) == 1);
  auto synced = durability.sync_file(fd, file);
  BOOST_TEST(synced.ok(), (synced.ok() ? "" : synced.error().to_string()));
  ::close(fd);
  auto closed = durability.sync_file(-1, file);  // not a closed fd: another thread may reuse its number
  BOOST_TEST_REQUIRE(!closed.ok());
  BOOST_TEST((closed.error().code == ErrorCode::io));
  BOOST_TEST(closed.error().message.find(file.string()) != std::string::npos, closed.error().message);
  auto directory = durability.sync_directory(dir);
  BOOST_TEST(directory.ok(), (directory.ok() ? "" : directory.error().to_string()));
  auto missing = durability.sync_directory(dir / "missing");
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST((missing.error().code == ErrorCode::io));
  BOOST_TEST(missing.error().message.find("missing") != std::string::npos, missing.error().message);
  std::filesystem::remove_all(dir);
}

// tetherd's syncs are fsync(2); the simulated world's are counted and
// skipped, so a run does not wait for the machine's disk.
BOOST_AUTO_TEST_CASE(posix_durability_is_fsync_and_the_simulations_skips) {
  {
    PosixHostFixture f;
    BOOST_TEST(&f.host().durability() == &smtp::fsync_durability());
  }
  SimHostFixture f;
  const auto* simulated = dynamic_cast<const sim::SimulatedDurability*>(&f.host().durability());
  BOOST_TEST_REQUIRE(simulated != nullptr);
  BOOST_TEST(simulated->sync_directory(f.host().storage_root()).ok());
  BOOST_TEST(simulated->directories_synced() == 1u);
  BOOST_TEST(simulated->files_synced() == 0u);
}

// On Linux the jobs run on worker threads, at the same time: that is the
// point (fsyncs that overlap get committed together). Each of two jobs
// waits for the other to have started, which only ends if both run at once.
BOOST_AUTO_TEST_CASE(posix_run_blocking_jobs_overlap) {
  PosixHostFixture f;
  struct Rendezvous {
    std::mutex mutex;
    std::condition_variable arrived;
    int count = 0;
    bool meet() {
      std::unique_lock<std::mutex> lock(mutex);
      ++count;
      arrived.notify_all();
      return arrived.wait_for(lock, std::chrono::seconds(10), [this] { return count == 2; });
    }
  };
  auto rendezvous = std::make_shared<Rendezvous>();
  bool met[2] = {false, false};
  int dones = 0;
  for (int i = 0; i < 2; ++i)
    f.host().run_blocking([rendezvous, slot = &met[i]] { *slot = rendezvous->meet(); }, [&dones] { ++dones; });
  BOOST_TEST_REQUIRE(f.run_until([&] { return dones == 2; }, Duration::seconds(30)));
  BOOST_TEST(met[0]);
  BOOST_TEST(met[1]);
}

// Destroying a PosixHost finishes the work it was handed (a job is never
// left half done) and runs no `done` afterwards.
BOOST_AUTO_TEST_CASE(posix_run_blocking_destruction_waits_for_work_and_drops_done) {
  char dir_template[] = "/tmp/tether-blocking-XXXXXX";
  BOOST_TEST_REQUIRE(::mkdtemp(dir_template) != nullptr);
  posix::PosixHostOptions options;
  options.storage_root = dir_template;
  options.log_sink = [](const LogRecord&) {};
  constexpr int kJobs = 16;
  std::vector<int> worked(kJobs, 0);
  int dones = 0;
  {
    posix::PosixHost host(options);
    for (int i = 0; i < kJobs; ++i)
      host.run_blocking(
          [slot = &worked[i]] {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            *slot = 1;
          },
          [&dones] { ++dones; });
  }
  for (int i = 0; i < kJobs; ++i) BOOST_TEST(worked[i] == 1);
  BOOST_TEST(dones == 0);
  std::filesystem::remove_all(dir_template);
}

BOOST_AUTO_TEST_SUITE_END()
