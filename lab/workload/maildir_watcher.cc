#include "lab/workload/maildir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lab/workload/steady_time.h"
#include "scenario/message_headers.h"

namespace tether::lab {
Result<std::unique_ptr<MaildirWatcher>> MaildirWatcher::start(const std::vector<std::filesystem::path>& maildirs,
                                                              std::function<void(const MaildirDelivery&)> on_delivery) {
  std::unique_ptr<MaildirWatcher> w(new MaildirWatcher());
  w->on_delivery_ = std::move(on_delivery);
  w->inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  w->stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->inotify_fd_ < 0 || w->stop_fd_ < 0)
    return Error(ErrorCode::io, std::string("maildir watcher: inotify/eventfd: ") + std::strerror(errno));
  for (const std::filesystem::path& maildir : maildirs) {
    for (const char* sub : {"tmp", "new", "cur"}) {
      std::error_code ec;
      std::filesystem::create_directories(maildir / sub, ec);
      if (ec) return Error(ErrorCode::io, "maildir watcher: cannot make " + (maildir / sub).string() + ": " + ec.message());
    }
    // IN_MOVED_TO: the rename out of tmp/; IN_CREATE: a file made in place (a link, a copy).
    for (const char* sub : {"new", "cur"}) {
      const std::filesystem::path dir = maildir / sub;
      const int wd = ::inotify_add_watch(w->inotify_fd_, dir.c_str(), IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE);
      if (wd < 0) return Error(ErrorCode::io, "maildir watcher: cannot watch " + dir.string() + ": " + std::strerror(errno));
      w->watches_.emplace_back(wd, dir);
    }
  }
  w->thread_ = std::thread([raw = w.get()] { raw->run(); });
  return w;
}

MaildirWatcher::~MaildirWatcher() {
  stop();
  if (thread_.joinable()) thread_.join();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void MaildirWatcher::stop() {
  if (stop_fd_ < 0) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
}

std::vector<std::string> MaildirWatcher::problems() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return problems_;
}

void MaildirWatcher::run() {
  alignas(inotify_event) char buffer[16384];
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      problems_.push_back(std::string("poll: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    const ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
    if (n <= 0) continue;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += ssize_t(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        std::lock_guard<std::mutex> lock(mutex_);
        problems_.push_back("inotify queue overflow: deliveries may be missing");
        continue;
      }
      if (event->len == 0 || (event->mask & IN_ISDIR)) continue;
      for (const auto& [wd, dir] : watches_)
        if (wd == event->wd) report(dir, event->name);
    }
  }
}

// One file: reported once per unique name (the part before ':'), whichever
// of its events comes first; IN_CREATE of a file still being written is
// read again at its IN_CLOSE_WRITE, so only a complete text is reported.
void MaildirWatcher::report(const std::filesystem::path& dir, const std::string& name) {
  if (name.empty() || name[0] == '.') return;
  const std::string key = dir.parent_path().string() + "/" + name.substr(0, name.find(':'));
  if (known_.count(key)) return;
  const Time seen = steady_now();
  MaildirDelivery d;
  d.seen = seen;
  d.path = dir / name;
  std::ifstream in(d.path, std::ios::binary);
  if (!in) return;  // gone already (moved on): its next event names it
  std::stringstream text;
  text << in.rdbuf();
  d.text = text.str();
  if (d.text.empty()) return;  // created, not yet written: IN_CLOSE_WRITE follows
  known_.insert(key);
  d.message_id = scenario::message_id_of(d.text);
  if (d.message_id.empty()) d.problem = d.path.string() + ": no Message-ID header";
  ++seen_;
  if (on_delivery_) on_delivery_(d);
}

}  // namespace tether::lab
