// Console progress for `fedsim run`: one line per round (rewritten in place on a terminal) with
// the latest evaluation and an ETA; Ctrl-C (SIGINT) asks the run to stop after the round in flight.
#pragma once

#include <chrono>
#include <cstdio>

#include "sim/runner.h"

namespace fedsim::cli {

// Installs the SIGINT handler: the first Ctrl-C sets a flag, a second one ends the process.
void install_interrupt_handler();
bool interrupt_requested();

class ConsoleProgress final : public RunObserver {
 public:
  // first_round: rounds already done before this process (a resumed run), for the ETA.
  ConsoleProgress(int rounds, std::FILE* out, int first_round = 0);
  void on_start(const Simulation& sim) override;
  void on_round(const RoundRecord& round, const EvalRecord* eval) override;
  bool stop_requested() override { return interrupt_requested(); }
  void finish();  // ends the in-place line on a terminal

 private:
  int rounds_;
  int first_round_;
  std::FILE* out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  double last_acc_ = -1.0, last_auc_ = -1.0;
  int last_eval_round_ = 0;
};

}  // namespace fedsim::cli
