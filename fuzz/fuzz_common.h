// Helpers shared by the libFuzzer targets: a private scratch directory per process, and the check
// that a loader error names the file it is about (anything else aborts, so libFuzzer reports it).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fedsim::fuzz {

// A directory of this process under $TMPDIR (or /tmp), created once and removed at exit. The
// string is never destroyed, so the exit handler can still read it.
inline const std::string& scratch_dir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    auto* d = new std::string(std::string(tmp && *tmp ? tmp : "/tmp") + "/fedsim-fuzz-" +
                              std::to_string(long(getpid())));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

// Aborts (a libFuzzer crash) unless `what` starts with one of the given paths followed by ':'.
inline void require_names_file(const char* what, const std::string& a, const std::string& b = {}) {
  const std::string m = what;
  if (m.rfind(a + ":", 0) == 0) return;
  if (!b.empty() && m.rfind(b + ":", 0) == 0) return;
  std::fprintf(stderr, "loader error does not name the file: %s\n", what);
  std::abort();
}

}  // namespace fedsim::fuzz
