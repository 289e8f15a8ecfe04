#include "support/unprivileged.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tether::testing {
namespace {

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += std::size_t(n);
  }
  return true;
}

// Exit codes of the child that say which step failed.
constexpr int kDropFailed = 90;
constexpr int kStillPrivileged = 91;
constexpr int kBodyThrew = 92;

}  // namespace

std::optional<std::string> run_as_nobody(const std::function<std::string()>& body, std::string* why) {
  int fds[2];
  if (::pipe(fds) != 0) {
    if (why) *why = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    if (why) *why = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::close(fds[0]);
    // Groups first, then gid, then uid: once the uid is gone, so is the
    // right to change the others. setuid from root also clears every
    // capability.
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(kDropFailed);
    if (::setuid(0) == 0 || ::geteuid() != kNobody) ::_exit(kStillPrivileged);
    std::string answer;
    try {
      answer = body();
    } catch (...) {
      ::_exit(kBodyThrew);
    }
    ::_exit(write_all(fds[1], answer) ? 0 : kBodyThrew);
  }
  ::close(fds[1]);
  std::string answer;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, std::size_t(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return answer;
  if (why) {
    if (WIFSIGNALED(status))
      *why = "the child died of signal " + std::to_string(WTERMSIG(status));
    else if (WEXITSTATUS(status) == kDropFailed)
      *why = "the child could not become nobody (not root?)";
    else if (WEXITSTATUS(status) == kStillPrivileged)
      *why = "the child could become root again after dropping to nobody";
    else
      *why = "the child's check threw or could not report (exit " + std::to_string(WEXITSTATUS(status)) + ")";
  }
  return std::nullopt;
}

}  // namespace tether::testing
