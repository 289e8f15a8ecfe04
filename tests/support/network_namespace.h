#pragma once
// A private network namespace for a test, entered by the calling thread, so
// that TUN devices, routes, addresses and sockets the test creates are
// invisible to (and cannot disturb) the machine and other tests; and a
// visit by the calling thread to a namespace that exists already. Needs root.

#include <memory>
#include <string>

#include "core/error.h"

namespace tether::testing {

class NetworkNamespace {
 public:
  // Creates "tether-<purpose>-<pid>-<n>" with `ip netns add`, brings its
  // loopback up and moves the calling thread into it.
  static Result<std::unique_ptr<NetworkNamespace>> create_and_enter(const std::string& purpose);
  // Moves the thread back to the namespace it came from and deletes this one
  // (processes still inside must have been ended first).
  ~NetworkNamespace();
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;

  const std::string& name() const { return name_; }

 private:
  NetworkNamespace() = default;

  std::string name_;
  int original_fd_ = -1;
  bool created_ = false;
};

// The calling thread inside an existing named namespace (`ip netns add`,
// as NamedNamespace makes) for the object's life: what a test opens
// meanwhile (a capture socket, a probe's socket) stays in that namespace
// after the thread goes back, so the test can use it from anywhere.
class ThreadInNamespace {
 public:
  static Result<std::unique_ptr<ThreadInNamespace>> enter(const std::string& name);
  ~ThreadInNamespace();  // back to the namespace the thread was in
  ThreadInNamespace(const ThreadInNamespace&) = delete;
  ThreadInNamespace& operator=(const ThreadInNamespace&) = delete;

 private:
  ThreadInNamespace() = default;
  int original_fd_ = -1;
};

bool running_as_root();

}  // namespace tether::testing
