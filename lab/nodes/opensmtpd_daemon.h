#pragma once
// How the lab runs Debian's OpenSMTPD 6.8 (`smtpd -d -f FILE`) for a host
// in its network namespace. OpenSMTPD allows one instance per machine: its
// control socket (/var/run/smtpd.sock) and spool (/var/spool/smtpd) are
// fixed paths, so each instance gets its own mount namespace (`unshare -m`)
// in which
//   - /run is a fresh tmpfs (the control socket), with the world's own
//     directory (under /run/tether-lab) bound back in place, since the
//     config, the maildirs and the log live there;
//   - /var/spool/smtpd is the host's own spool directory (DIR/spool, mode
//     0711 as smtpd's setup_spool() insists), which outlives the daemon: a
//     start after a SIGKILL runs on the same queue;
//   - a UTS namespace (`unshare -u`) holds the host's name: 6.8 names
//     itself by /etc/mailname, else gethostname() (getmailname() in util.c),
//     and that name is what `relay backup` looks for in the MX list and what
//     it greets with, so mx2 must be mx2.example.org (an /etc/mailname of
//     the machine is covered with the host's name as well).
// Its log (stderr with -d, no time stamps) goes through a bash loop that
// stamps each line with CLOCK_REALTIME seconds ($EPOCHREALTIME) into
// DIR/smtpd.log. smtpctl reaches the control socket from inside the
// daemon's mount namespace (`nsenter -t PID -m`).
//
// The PID the launcher records is smtpd's own (ip netns exec, unshare and
// bash all exec); its children (klondike, control, lookup, pony express,
// queue, scheduler) exit when it dies (their imsg pipes close).

#include <filesystem>
#include <string>
#include <vector>

namespace tether::lab {

struct OpenSmtpdPlaces {
  std::filesystem::path conf;     // DIR/smtpd.conf (opensmtpd_config.h)
  std::filesystem::path spool;    // DIR/spool
  std::filesystem::path log;      // DIR/smtpd.log
  std::filesystem::path run_dir;  // the world's directory, kept visible
  std::string hostname;           // the scenario host's FQDN
};

// argv to run in the host's network namespace; it becomes smtpd.
std::vector<std::string> opensmtpd_argv(const OpenSmtpdPlaces& places);

// `smtpctl WORDS...` against the instance whose smtpd has PID `pid`.
std::vector<std::string> smtpctl_argv(int pid, const std::vector<std::string>& words);

// The spool directory as smtpd wants it (root, 0711); an existing one is
// kept with its queue.
bool make_spool(const std::filesystem::path& spool);

// The PIDs whose parent is `pid`.
std::vector<int> children_of(int pid);

}  // namespace tether::lab
