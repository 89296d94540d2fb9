// Test helper: run a shell command and collect its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

struct CommandResult {
  int code;         // exit status, or -1 if the command did not exit normally
  std::string out;  // what it printed on the streams the command line redirects to stdout
};

inline CommandResult run_shell(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
