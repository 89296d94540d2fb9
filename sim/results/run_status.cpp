// RunStatus <-> the strings stored in result files ("status" root attribute) and shown to users.
#include <stdexcept>

#include "sim/results/run_result.h"

namespace fedsim {

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::Running:
      return "running";
    case RunStatus::Complete:
      return "complete";
    case RunStatus::Interrupted:
      return "interrupted";
    case RunStatus::Diverged:
      return "diverged";
    case RunStatus::Failed:
      return "failed";
  }
  return "unknown";
}

RunStatus run_status_from_string(const std::string& s) {
  for (auto st : {RunStatus::Running, RunStatus::Complete, RunStatus::Interrupted,
                  RunStatus::Diverged, RunStatus::Failed}) {
    if (s == to_string(st)) return st;
  }
  throw std::invalid_argument("unknown run status '" + s +
                              "' (expected running, complete, interrupted, diverged or failed)");
}

}  // namespace fedsim
