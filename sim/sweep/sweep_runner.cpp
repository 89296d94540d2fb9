// The sweep loop (see sweep_runner.h).
#include "sim/sweep/sweep_runner.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "sim/audit/audit_run.h"
#include "sim/backend/backend.h"
#include "sim/data/federation_builder.h"
#include "sim/data/federation_fingerprint.h"
#include "sim/runner.h"

#include "fedsim_version.h"

namespace fedsim {
namespace {

// Forwards the sweep's stop request to one run.
class RunStop final : public RunObserver {
 public:
  explicit RunStop(SweepObserver* o) : o_(o) {}
  bool stop_requested() override { return o_ && o_->stop_requested(); }

 private:
  SweepObserver* o_;
};

bool keep_as_is(const SweepResult* resume, size_t i) {
  if (!resume || i >= resume->runs.size() || !resume->started[i]) return false;
  const RunStatus st = resume->runs[i].status;
  return st == RunStatus::Complete || st == RunStatus::Diverged;
}

}  // namespace

SweepResult run_sweep(const std::string& text, const std::string& path,
                      const std::vector<std::string>& overrides, const SweepSpec& spec,
                      const std::vector<SweepPoint>& points, const std::vector<Scenario>& scenarios,
                      const SweepOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepResult s;
  s.fedsim_version = FEDSIM_VERSION;
  s.git_commit = FEDSIM_GIT_COMMIT;
  s.start_time = options.resume ? options.resume->start_time : utc_now_iso8601();
  const double earlier_s = options.resume ? options.resume->wall_time_s : 0.0;
  s.scenario_path = path;
  s.scenario_text = text;
  s.overrides = overrides;
  for (const SweepAxis* a : spec.axes()) {
    s.keys.push_back(a->key);
    s.numeric.push_back(a->numeric);
  }
  s.points = points;
  s.runs.resize(points.size());
  s.started.assign(points.size(), 0);
  std::vector<size_t> todo;
  for (size_t i = 0; i < points.size(); ++i) {
    if (options.resume && i < options.resume->runs.size() && options.resume->started[i]) {
      s.runs[i] = options.resume->runs[i];
      s.started[i] = 1;
    }
    if (!keep_as_is(options.resume, i)) todo.push_back(i);
  }

  const bool cuda = !scenarios.empty() && scenarios.front().run.backend == BackendKind::Cuda;
  int parallel = options.parallel > 0 ? options.parallel : spec.parallel;
  if (parallel <= 0) parallel = cuda ? 4 : omp_get_num_procs();
  parallel = std::clamp(parallel, 1, std::max<int>(1, int(todo.size())));
  const int threads_per_run = std::max(1, omp_get_num_procs() / parallel);

  std::mutex mu;  // guards s, done, and every call of options.save
  int done = 0;
  auto elapsed = [&] {
    return earlier_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto save_locked = [&] {
    s.end_time = utc_now_iso8601();
    s.wall_time_s = elapsed();
    if (options.save) options.save(s);
  };
  std::atomic<size_t> next{0};
  std::exception_ptr save_error;
  auto worker = [&] {
    omp_set_num_threads(threads_per_run);
    for (size_t t; (t = next.fetch_add(1)) < todo.size();) {
      const size_t i = todo[t];
      if (options.observer && options.observer->stop_requested()) break;
      const Scenario& sc = scenarios[i];
      const RunResult* resume_run =
          s.started[i] && s.runs[i].has_checkpoint ? &options.resume->runs[i] : nullptr;
      RunResult r;
      try {
        const Federation fed = build_federation(sc);
        if (resume_run && resume_run->checkpoint.data_fingerprint != federation_fingerprint(fed))
          throw std::runtime_error(
              "the data differs from the data this run's checkpoint was taken with; the run "
              "was not resumed");
        RunOptions ro;
        ro.checkpoint_every = sc.run.checkpoint_every;
        ro.command_line = options.command_line;
        ro.resume = resume_run;
        ro.save = [&](const RunResult& partial) {
          std::lock_guard<std::mutex> lock(mu);
          s.runs[i] = partial;
          s.started[i] = 1;
          save_locked();
        };
        RunStop stop(options.observer);
        if (options.audit_canaries > 0) {
          audit::AuditOptions ao;
          ao.canaries = options.audit_canaries;
          ro.checkpoint_every = 0;  // the canaries' federation is not the checkpoints' data
          ro.resume = nullptr;
          r = audit::run_audit(sc, fed, make_backend(to_string(sc.run.backend)), ao, &stop, ro);
        } else {
          r = run_scenario(sc, fed, make_backend(to_string(sc.run.backend)), &stop, ro);
        }
      } catch (const std::exception& e) {  // data or backend: this run fails, the sweep goes on
        r.status = RunStatus::Failed;
        r.status_message = e.what();
        r.seed = sc.run.seed;
        r.scenario_path = sc.source_path;
        r.scenario_text = sc.source_text;
        r.scenario_resolved = resolved_toml(sc);
      }
      std::lock_guard<std::mutex> lock(mu);
      s.runs[i] = std::move(r);
      s.started[i] = 1;
      ++done;
      try {
        save_locked();
      } catch (...) {
        if (!save_error) save_error = std::current_exception();
      }
      if (options.observer)
        options.observer->on_run_end(points[i], s.runs[i], done, int(todo.size()));
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < parallel; ++w) pool.emplace_back(worker);
  for (auto& th : pool) th.join();

  int failed = 0, unfinished = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!s.started[i] || s.runs[i].status == RunStatus::Interrupted ||
        s.runs[i].status == RunStatus::Running)
      ++unfinished;
    else if (s.runs[i].status == RunStatus::Failed)
      ++failed;
  }
  const bool stopped = options.observer && options.observer->stop_requested();
  s.status = unfinished && stopped ? RunStatus::Interrupted : RunStatus::Complete;
  s.status_message = std::to_string(points.size() - unfinished) + " of " +
                     std::to_string(points.size()) + " runs finished" +
                     (failed ? ", " + std::to_string(failed) + " failed" : std::string());
  if (unfinished) s.status_message += "; continue with: fedsim resume FILE";
  s.end_time = utc_now_iso8601();
  s.wall_time_s = elapsed();
  if (save_error) std::rethrow_exception(save_error);
  return s;
}

}  // namespace fedsim
