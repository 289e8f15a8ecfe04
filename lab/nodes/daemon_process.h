#pragma once
// Small process and file helpers the lab's daemons share (lab_nodes.cc,
// lab_nodes_opensmtpd.cc, opensmtpd_daemon.cc): reading /proc, waiting for
// a PID to go, quoting for the shell that launches a daemon.

#include <filesystem>
#include <string>

namespace tether::lab::process {

std::string read_file(const std::filesystem::path& path);
// /proc/PID/cmdline with its NULs as blanks.
std::string cmdline_of(int pid);
// Alive and not a zombie waiting for init to reap it (the daemon's parent,
// the shell that started it, is gone).
bool alive(int pid);
void sleep_ms(int ms);
// Polls every 10 ms for up to `ms`; true once `pid` is gone.
bool wait_gone(int pid, int ms);
// The last `lines` lines of `text`.
std::string tail(const std::string& text, std::size_t lines);
// 'S' for sh -c, with embedded quotes escaped.
std::string shell_quoted(const std::string& s);

}  // namespace tether::lab::process
