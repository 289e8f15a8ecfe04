#pragma once
// The SIGINT/SIGTERM way out of a lab run: a thread that waits for either
// signal, removes every world still standing (through its WorldRecord) and
// then lets the signal take its default action, so the process ends as
// killed by it (a shell sees 130/143) and leaves nothing behind.
//
// A signal handler could not do this (it may not fork `ip` or take locks),
// so the signals are blocked in every thread and taken by sigwait(2) in one
// thread of their own; commands the lab runs start with them unblocked
// (command.cc). WorldRecord::make holds its record while it makes a thing,
// so a world being built when the signal comes is removed whole.

namespace tether::lab {

class WorldRecord;

class SignalCleanup {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread and starts the waiting
  // thread. Call it first in main(), before any other thread starts, so
  // that every thread inherits the mask. Idempotent.
  static void install();
  static bool installed();
  // LabWorld registers its record while it stands (harmless when nothing
  // is installed: then the signals end the process at once, and
  // remove_leftovers(prefix) cleans up after it).
  static void watch(WorldRecord* record);
  static void forget(WorldRecord* record);
  // When a signal is being handled, waits for the signal thread to end the
  // process and never returns: a build that failed because its record was
  // closed under it must not exit with an error status of its own first.
  static void finish_if_ending();
};

}  // namespace tether::lab
