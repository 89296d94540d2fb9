// run_scenario: the whole run over Simulation::step_round (see runner.h).
#include "sim/runner.h"

#include <chrono>
#include <ctime>
#include <stdexcept>

#include "sim/data/federation_fingerprint.h"
#include "sim/results/manifest.h"

#include "fedsim_version.h"

namespace fedsim {

std::string utc_now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

RunResult run_scenario(const Scenario& s, const Federation& fed, std::unique_ptr<Backend> backend,
                       RunObserver* observer, const RunOptions& options) {
  RunObserver no_observer;
  RunObserver& obs = observer ? *observer : no_observer;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string fingerprint = federation_fingerprint(fed);

  RunResult r;
  double earlier_wall_s = 0.0;  // a resumed run's time before the checkpoint
  const Checkpoint* resume = nullptr;
  if (options.resume) {
    if (!options.resume->has_checkpoint)
      throw std::invalid_argument("run_scenario: resume from a result without a checkpoint");
    resume = &options.resume->checkpoint;
    const int done = resume->round;
    for (const RoundRecord& rec : options.resume->rounds)
      if (rec.round <= done) r.rounds.push_back(rec);
    for (const EvalRecord& e : options.resume->evals)
      if (e.round <= done) r.evals.push_back(e);
    for (const SecAggRecord& a : options.resume->secagg)
      if (a.round <= done) r.secagg.push_back(a);
    earlier_wall_s = options.resume->wall_time_s;
  }
  r.fedsim_version = FEDSIM_VERSION;
  r.git_commit = FEDSIM_GIT_COMMIT;
  r.backend = backend->name();
  r.device = backend->device();
  r.seed = s.run.seed;
  r.start_time = options.resume ? options.resume->start_time : utc_now_iso8601();
  r.scenario_path = s.source_path;
  r.scenario_text = s.source_text;
  r.scenario_resolved = resolved_toml(s);
  r.command_line = options.command_line;
  r.manifest = build_manifest();

  std::unique_ptr<Simulation> sim;
  auto take_checkpoint = [&] {
    if (sim->schedule_changed()) {  // the ledger has several noise segments: not resumable
      r.has_checkpoint = false;
      return;
    }
    r.checkpoint = sim->checkpoint();
    r.checkpoint.data_fingerprint = fingerprint;
    r.has_checkpoint = true;
  };
  auto elapsed = [&] {
    return earlier_wall_s +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  try {
    sim = std::make_unique<Simulation>(s, fed, std::move(backend), resume);
    r.layout = sim->layout();
    r.privacy = sim->privacy_plan().report(s);
    if (resume) {
      r.checkpoint = *resume;
      r.has_checkpoint = true;
    }
    obs.on_start(*sim);
    while (sim->rounds_done() < s.run.rounds) {
      if (obs.stop_requested()) {
        r.status = RunStatus::Interrupted;
        r.status_message = "interrupted after round " + std::to_string(sim->rounds_done()) +
                           " of " + std::to_string(s.run.rounds);
        break;
      }
      obs.before_round(*sim);
      if (obs.stop_requested()) {
        r.status = RunStatus::Interrupted;
        r.status_message = "stopped after round " + std::to_string(sim->rounds_done()) + " of " +
                           std::to_string(s.run.rounds);
        break;
      }
      if (sim->rounds_done() >= s.run.rounds) break;  // rounds lowered while paused
      RoundRecord rec = sim->step_round();
      r.rounds.push_back(rec);
      for (SecAggRecord& a : sim->take_secagg_records()) r.secagg.push_back(std::move(a));
      if (sim->diverged()) {
        r.status = RunStatus::Diverged;
        r.status_message = "diverged in round " + std::to_string(rec.round) +
                           ": the model became NaN/Inf (train loss " +
                           std::to_string(rec.train_loss) +
                           "); the saved model is the last finite one. Try a smaller client.lr "
                           "or server.lr.";
        obs.on_round(rec, nullptr);
        break;
      }
      const bool last = rec.round == s.run.rounds;
      if (rec.round % s.run.eval_every == 0 || last) {
        r.evals.push_back(sim->evaluate());
        obs.on_round(rec, &r.evals.back());
      } else {
        obs.on_round(rec, nullptr);
      }
      if (options.checkpoint_every > 0 && rec.round % options.checkpoint_every == 0 &&
          rec.round < s.run.rounds && options.save) {
        take_checkpoint();
        r.weights = r.checkpoint.global;
        r.end_time = utc_now_iso8601();
        r.wall_time_s = elapsed();
        options.save(r);  // status running: a process killed later leaves this state
      }
    }
    if (r.status == RunStatus::Running) {
      r.status = RunStatus::Complete;
      // rounds lowered while paused (dashboard): the last round done still gets its evaluation
      if (sim->rounds_done() > 0 && (r.evals.empty() || r.evals.back().round != sim->rounds_done()))
        r.evals.push_back(sim->evaluate());
    }
    r.clients = sim->client_stats(r.status == RunStatus::Complete);
    r.weights = sim->global_weights();
    take_checkpoint();  // complete runs can be extended, interrupted or diverged ones examined
  } catch (const std::exception& e) {
    r.status = RunStatus::Failed;
    r.status_message = e.what();
    if (sim) {
      try {
        r.weights = sim->global_weights();
      } catch (const std::exception&) {
      }
    }
  }
  r.end_time = utc_now_iso8601();
  r.wall_time_s = elapsed();
  return r;
}

}  // namespace fedsim
