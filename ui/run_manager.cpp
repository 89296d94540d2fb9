// The dashboard's runs on worker threads (see run_manager.h). One mutex guards every run's
// control flags and snapshot; a worker holds it only between rounds, never while training.
#include "ui/run_manager.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>

#include "sim/backend/backend.h"
#include "sim/data/federation_builder.h"
#include "sim/results/results_writer.h"
#include "sim/runner.h"
#include "sim/simulation.h"
#include "sim/util/format.h"

namespace fedsim::ui {

const char* to_string(RunState s) {
  switch (s) {
    case RunState::Queued:
      return "queued";
    case RunState::Running:
      return "running";
    case RunState::Paused:
      return "paused";
    default:
      return "finished";
  }
}

namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  int id = 0;
  Scenario scenario;  // owned; changed only while the worker waits in before_round
  RunSnapshot snap;
  RunResult result;        // once finished
  bool pause_req = false;  // pause before the next round
  bool step_req = false;   // while paused: one more round
  bool stop_req = false;
  bool waiting = false;       // the worker is blocked between rounds (changes are safe)
  bool stepping = false;      // the round in flight was a step: pause after it
  Simulation* sim = nullptr;  // valid while waiting
  Clock::time_point started;
  int first_round = 0;
  std::thread thread;
};

// A path that does not exist yet: results/x.h5, results/x-2.h5, ...
std::string unique_path(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) return path;
  const fs::path p(path);
  for (int k = 2;; ++k) {
    const fs::path c =
        p.parent_path() / (p.stem().string() + "-" + std::to_string(k) + p.extension().string());
    if (!fs::exists(c)) return c.string();
  }
}

}  // namespace

struct RunManager::Impl {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  int max_parallel = 1;
  int running = 0;  // runs past their start slot and not finished
  int next_id = 1;
  std::vector<std::unique_ptr<Run>> runs;

  Run* find(int id) const {
    for (const auto& r : runs)
      if (r->id == id) return r.get();
    return nullptr;
  }
  // The run next in line: the first queued one, in submission order, not asked to stop.
  const Run* next_queued() const {
    for (const auto& r : runs)
      if (r->snap.state == RunState::Queued && !r->stop_req) return r.get();
    return nullptr;
  }
  void work(Run& run);
};

namespace {

// Drives one run from inside run_scenario: pauses, steps, changes, snapshots.
class Controller final : public RunObserver {
 public:
  Controller(RunManager::Impl& m, Run& run) : m_(m), run_(run) {}

  void on_start(const Simulation& sim) override {
    std::lock_guard<std::mutex> lock(m_.mu);
    run_.snap.privacy = sim.privacy_plan().report(run_.scenario);
    run_.snap.rounds_done = sim.rounds_done();
  }

  bool stop_requested() override {
    std::lock_guard<std::mutex> lock(m_.mu);
    return run_.stop_req;
  }

  void before_round(Simulation& sim) override {
    std::unique_lock<std::mutex> lock(m_.mu);
    run_.sim = &sim;
    run_.waiting = true;
    m_.cv.notify_all();
    m_.cv.wait(lock, [&] { return !run_.pause_req || run_.step_req || run_.stop_req; });
    run_.waiting = false;
    run_.sim = nullptr;
    if (run_.step_req) {
      run_.step_req = false;
      run_.stepping = true;
    }
    if (!run_.stop_req) run_.snap.state = RunState::Running;
  }

  void on_round(const RoundRecord& round, const EvalRecord* eval) override {
    std::lock_guard<std::mutex> lock(m_.mu);
    RunSnapshot& s = run_.snap;
    s.rounds.push_back(round);
    if (eval) s.evals.push_back(*eval);
    s.rounds_done = round.round;
    s.rounds_total = run_.scenario.run.rounds;
    s.elapsed_s = std::chrono::duration<double>(Clock::now() - run_.started).count();
    const int done_here = std::max(1, round.round - run_.first_round);
    s.eta_s = s.elapsed_s / done_here * std::max(0, s.rounds_total - round.round);
    if (run_.stepping) {
      run_.stepping = false;
      run_.pause_req = true;
      s.state = RunState::Paused;
    }
    m_.cv.notify_all();
  }

 private:
  RunManager::Impl& m_;
  Run& run_;
};

// Client sizes and label counts, known before the first round (the Clients panel).
ClientStats initial_client_stats(const Federation& fed) {
  ClientStats cs;
  const int C = fed.num_clients(), L = fed.train.classes;
  cs.classes = L;
  cs.num_samples.resize(C);
  cs.label_counts.assign(size_t(C) * L, 0);
  for (int c = 0; c < C; ++c) {
    cs.num_samples[c] = fed.client_size(c);
    for (int64_t i = fed.offsets[c]; i < fed.offsets[c + 1]; ++i)
      cs.label_counts[size_t(c) * L + fed.train.y[i]]++;
  }
  return cs;
}

}  // namespace

void RunManager::Impl::work(Run& run) {
  {
    std::unique_lock<std::mutex> lock(mu);
    // Queued runs start in submission order, each when a slot is free.
    cv.wait(lock,
            [&] { return run.stop_req || (running < max_parallel && next_queued() == &run); });
    if (run.stop_req) {
      run.snap.state = RunState::Finished;
      run.snap.status = RunStatus::Interrupted;
      run.snap.message = "stopped before it started";
      cv.notify_all();
      return;
    }
    ++running;
    run.snap.state = run.pause_req ? RunState::Paused : RunState::Running;
    run.started = Clock::now();
    cv.notify_all();  // the next queued run is now first in line
  }
  RunResult r;
  try {
    const Federation fed = build_federation(run.scenario);
    {
      std::lock_guard<std::mutex> lock(mu);
      run.snap.clients = initial_client_stats(fed);
    }
    Controller controller(*this, run);
    r = run_scenario(run.scenario, fed, make_backend(to_string(run.scenario.run.backend)),
                     &controller);
  } catch (const std::exception& e) {  // data or backend: shown in the run's row
    r.status = RunStatus::Failed;
    r.status_message = e.what();
  }
  std::string path, save_error;
  {
    std::lock_guard<std::mutex> lock(mu);
    r.changes = run.result.changes;  // recorded by change()
  }
  if (r.rounds.size() > 0 || r.status != RunStatus::Failed) {
    try {
      path = unique_path(output_path(run.scenario));
      write_results(path, r, false);
    } catch (const std::exception& e) {
      save_error = std::string("; could not save the results: ") + e.what();
      path.clear();
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  run.snap.state = RunState::Finished;
  run.snap.status = r.status;
  run.snap.message = r.status_message + save_error;
  run.snap.output_path = path;
  if (!r.clients.num_samples.empty()) run.snap.clients = r.clients;
  run.result = std::move(r);
  --running;
  cv.notify_all();
}

RunManager::RunManager(int max_parallel) : impl_(std::make_unique<Impl>()) {
  impl_->max_parallel = std::max(1, max_parallel);
}

RunManager::~RunManager() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& r : impl_->runs) {
      r->stop_req = true;
      threads.push_back(std::move(r->thread));
    }
    impl_->cv.notify_all();
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

int RunManager::submit(const Scenario& s) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto run = std::make_unique<Run>();
  run->id = impl_->next_id++;
  run->scenario = s;
  std::string name = s.run.name;
  for (int k = 2;; ++k) {
    bool taken = false;
    for (const auto& r : impl_->runs) taken = taken || r->snap.name == name;
    if (!taken) break;
    name = s.run.name + "-" + std::to_string(k);
  }
  run->snap.id = run->id;
  run->snap.name = name;
  run->snap.scenario_resolved = resolved_toml(s);
  run->snap.rounds_total = s.run.rounds;
  Run& ref = *run;
  impl_->runs.push_back(std::move(run));
  ref.thread = std::thread([this, &ref] { impl_->work(ref); });
  return ref.id;
}

void RunManager::pause(int id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (Run* r = impl_->find(id); r && r->snap.state != RunState::Finished) {
    r->pause_req = true;
    if (r->snap.state == RunState::Running) r->snap.state = RunState::Paused;
    impl_->cv.notify_all();
  }
}

void RunManager::resume(int id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (Run* r = impl_->find(id); r && r->snap.state != RunState::Finished) {
    r->pause_req = false;
    if (r->snap.state == RunState::Paused) r->snap.state = RunState::Running;
    impl_->cv.notify_all();
  }
}

void RunManager::step(int id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (Run* r = impl_->find(id); r && r->pause_req && r->snap.state != RunState::Finished) {
    r->step_req = true;
    impl_->cv.notify_all();
  }
}

void RunManager::stop(int id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (Run* r = impl_->find(id)) {
    r->stop_req = true;
    impl_->cv.notify_all();
  }
}

bool RunManager::change(int id, const RunChanges& c, std::string* error) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  auto fail = [&](const std::string& e) {
    if (error) *error = e;
    return false;
  };
  Run* r = impl_->find(id);
  if (!r) return fail("no such run");
  if (!r->pause_req || !r->waiting || !r->sim)
    return fail("pause the run first (changes apply between rounds)");
  if (c.rounds && *c.rounds < r->snap.rounds_done)
    return fail("rounds: expected at least the " + std::to_string(r->snap.rounds_done) +
                " rounds done");
  if (c.rounds && *c.rounds < 1) return fail("rounds: expected at least 1");
  if (c.server_lr && !(*c.server_lr > 0.0)) return fail("server_lr: expected a number > 0");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::string> changed;
  try {
    changed = r->sim->apply_changes(c.noise_multiplier.value_or(nan), c.clip.value_or(nan),
                                    c.client_lr.value_or(nan));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  const auto fmt = format_g;
  if (c.server_lr && *c.server_lr != r->scenario.server.lr) {
    changed.push_back("server_lr " + fmt(r->scenario.server.lr) + " -> " + fmt(*c.server_lr));
    r->scenario.server.lr = *c.server_lr;
  }
  if (c.rounds && *c.rounds != r->scenario.run.rounds) {
    changed.push_back("rounds " + std::to_string(r->scenario.run.rounds) + " -> " +
                      std::to_string(*c.rounds));
    r->scenario.run.rounds = *c.rounds;
    r->snap.rounds_total = *c.rounds;
  }
  for (const std::string& ch : changed) {
    r->result.changes.emplace_back(r->snap.rounds_done, ch);
    r->snap.changes.push_back("round " + std::to_string(r->snap.rounds_done) + ": " + ch);
  }
  if (r->sim) r->snap.privacy.noise_multiplier = r->sim->privacy_plan().noise_multiplier;
  return true;
}

void RunManager::remove(int id) {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    Run* r = impl_->find(id);
    if (!r) return;
    r->stop_req = true;
    t = std::move(r->thread);
    impl_->cv.notify_all();
  }
  if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& runs = impl_->runs;
  runs.erase(std::remove_if(runs.begin(), runs.end(), [&](auto& r) { return r->id == id; }),
             runs.end());
}

std::vector<RunSnapshot> RunManager::snapshot() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<RunSnapshot> out;
  for (const auto& r : impl_->runs) out.push_back(r->snap);
  return out;
}

std::optional<RunSnapshot> RunManager::snapshot(int id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (const Run* r = impl_->find(id)) return r->snap;
  return std::nullopt;
}

RunResult RunManager::result(int id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const Run* r = impl_->find(id);
  if (!r) return {};
  if (r->snap.state == RunState::Finished) return r->result;
  RunResult partial;  // a run in progress: its curves so far (no model)
  partial.status = RunStatus::Running;
  partial.scenario_resolved = r->snap.scenario_resolved;
  partial.rounds = r->snap.rounds;
  partial.evals = r->snap.evals;
  partial.privacy = r->snap.privacy;
  partial.clients = r->snap.clients;
  partial.changes = r->result.changes;
  return partial;
}

void RunManager::wait_idle() const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [&] {
    for (const auto& r : impl_->runs) {
      if (r->snap.state == RunState::Finished) continue;
      if (r->pause_req && r->waiting && !r->step_req) continue;  // paused between rounds
      return false;
    }
    return true;
  });
}

}  // namespace fedsim::ui
