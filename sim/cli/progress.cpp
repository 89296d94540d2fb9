// Console progress and the SIGINT flag (see progress.h).
#include "sim/cli/progress.h"

#include <algorithm>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>

namespace fedsim::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  if (g_interrupted.exchange(true)) std::_Exit(130);  // second Ctrl-C: stop now
  const char msg[] =
      "\nfedsim: interrupt received, finishing the round in flight and saving "
      "(Ctrl-C again to abort without saving)\n";
  [[maybe_unused]] ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
}

std::string format_duration(double seconds) {
  const long s = long(std::lround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

bool interrupt_requested() {
  return g_interrupted.load();
}

ConsoleProgress::ConsoleProgress(int rounds, std::FILE* out, int first_round)
    : rounds_(rounds), first_round_(first_round), out_(out), tty_(isatty(fileno(out)) != 0) {}

void ConsoleProgress::on_start(const Simulation& sim) {
  start_ = std::chrono::steady_clock::now();
}

void ConsoleProgress::on_round(const RoundRecord& r, const EvalRecord* eval) {
  if (eval) {
    last_acc_ = eval->accuracy;
    last_auc_ = std::isnan(eval->auc) ? -1.0 : eval->auc;
    last_eval_round_ = eval->round;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = elapsed / std::max(1, r.round - first_round_) *
                     (rounds_ - r.round);  // rounds this process ran
  std::fprintf(out_, "%sround %*d/%d  loss %.4f  clients %d", tty_ ? "\r\033[K" : "",
               int(std::to_string(rounds_).size()), r.round, rounds_, r.train_loss,
               r.clients_sampled);
  if (last_eval_round_ > 0) {
    std::fprintf(out_, "  acc %.4f", last_acc_);
    if (last_auc_ >= 0) std::fprintf(out_, "  auc %.4f", last_auc_);
    std::fprintf(out_, " (r%d)", last_eval_round_);
  }
  std::fprintf(out_, "  %.2fs/round  elapsed %s  ETA %s%s", r.wall_time_s,
               format_duration(elapsed).c_str(), format_duration(eta).c_str(), tty_ ? "" : "\n");
  std::fflush(out_);
}

void ConsoleProgress::finish() {
  if (tty_) std::fprintf(out_, "\n");
}

}  // namespace fedsim::cli
