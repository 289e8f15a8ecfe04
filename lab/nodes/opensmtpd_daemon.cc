#include "lab/nodes/opensmtpd_daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lab/nodes/daemon_process.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) { return process::shell_quoted(s); }

}  // namespace

// The script's steps, each one a line; `set -e` so a failed mount never
// starts a daemon that would share the machine's socket or spool.
std::vector<std::string> opensmtpd_argv(const OpenSmtpdPlaces& p) {
  const std::string run = quoted(p.run_dir.string());
  const std::string script =
      "set -e\n"
      "PATH=$PATH:/usr/sbin:/sbin\n"
      // The spool: /var/spool/smtpd exists only once a system smtpd ran,
      // so a tmpfs over /var/spool holds the mount point.
      "mount -t tmpfs -o mode=755 tmpfs /var/spool\n"
      "mkdir -m 711 /var/spool/smtpd\n"
      "mount --bind " + quoted(p.spool.string()) + " /var/spool/smtpd\n"
      // A private /run; the world's directory bound back from a descriptor
      // opened before it was covered (-c: mount must not resolve the
      // /proc link to its now hidden path).
      "exec 3<" + run + "\n"
      "mount -t tmpfs -o mode=755 tmpfs /run\n"
      "mkdir -p " + run + "\n"
      "mount -c --bind /proc/self/fd/3 " + run + "\n"
      "exec 3<&-\n"
      // A resolv.conf that was a link into /run (systemd-resolved) is gone
      // now; ip netns exec bound the namespace's over its target.
      "t=$(readlink -m /etc/resolv.conf)\n"
      "if [ ! -e \"$t\" ]; then mkdir -p \"$(dirname \"$t\")\"; : >\"$t\"; mount --bind \"/etc/netns/$(ip netns identify)/resolv.conf\" \"$t\"; fi\n"
      "hostname " + quoted(p.hostname) + "\n"
      "if [ -e /etc/mailname ]; then echo " + quoted(p.hostname) + " >" + run + "/mailname-$$; mount --bind " + run +
      "/mailname-$$ /etc/mailname; fi\n"
      "exec smtpd -d -f " + quoted(p.conf.string()) +
      " > >(while IFS= read -r line; do printf '%s %s\\n' \"$EPOCHREALTIME\" \"$line\"; done >>" +
      quoted(p.log.string()) + ") 2>&1\n";
  return {"unshare", "-m", "-u", "--propagation", "private", "bash", "-c", script};
}

std::vector<std::string> smtpctl_argv(int pid, const std::vector<std::string>& words) {
  std::vector<std::string> argv{"nsenter", "-t", std::to_string(pid), "-m", "smtpctl"};
  argv.insert(argv.end(), words.begin(), words.end());
  return argv;
}

bool make_spool(const fs::path& spool) {
  std::error_code ec;
  fs::create_directories(spool, ec);
  return !ec && ::chown(spool.c_str(), 0, 0) == 0 && ::chmod(spool.c_str(), 0711) == 0;
}

std::vector<int> children_of(int pid) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    int parent = 0;
    if (rest >> state >> parent && parent == pid) out.push_back(std::atoi(name.c_str()));
  }
  return out;
}

}  // namespace tether::lab
