// QueryView (see query_view.h).
#include "ui/query_view.h"

#include <cmath>
#include <filesystem>

#include "sim/data/federation_builder.h"
#include "sim/data/federation_fingerprint.h"

namespace fedsim::ui {

const char* const kQueryStats[6] = {"count", "sum", "mean", "variance", "histogram", "quantile"};
const char* const kQueryMechanisms[4] = {"discrete Laplace", "discrete Gaussian", "Laplace",
                                         "Gaussian"};
const char* const kQueryTrust[3] = {"central", "secagg", "local"};

std::string QueryView::ledger_path(const Scenario& s) const {
  return form.ledger.empty() ? "results/" + s.run.name + ".budget.toml" : form.ledger;
}

analytics::QuerySpec QueryView::spec() const {
  using namespace analytics;
  QuerySpec q;
  q.stat = Statistic(form.stat);
  q.column = q.stat == Statistic::Count ? "" : form.column;
  q.group_by = form.group_by;
  q.where = form.where;
  const bool numeric_histogram = q.stat == Statistic::Histogram && form.bins > 0;
  const bool bounded = q.stat == Statistic::Sum || q.stat == Statistic::Mean ||
                       q.stat == Statistic::Variance || q.stat == Statistic::Quantile ||
                       numeric_histogram;
  q.lower = bounded ? form.lower : NAN;
  q.upper = bounded ? form.upper : NAN;
  q.bins = form.bins;
  q.quantile = form.quantile;
  q.max_rows = form.max_rows;
  q.max_groups = form.max_groups;
  const Mechanism mechs[4] = {Mechanism::DiscreteLaplace, Mechanism::DiscreteGaussian,
                              Mechanism::Laplace, Mechanism::Gaussian};
  q.mechanism = mechs[form.mechanism];
  q.trust = TrustModel(form.trust);
  q.epsilon = form.epsilon;
  q.delta = is_gaussian(q.mechanism) ? form.delta : 0.0;
  return q;
}

const analytics::QueryOutcome& QueryView::ask(const Scenario& s) {
  analytics::QueryOutcome out;
  try {
    const std::string key = resolved_toml(s);  // the data keys as edited
    if (!fed_ || key != data_key_) {
      table_.reset();
      fed_ = std::make_unique<Federation>(build_federation(s));
      table_ = std::make_unique<analytics::QueryTable>(*fed_);
      fingerprint_ = federation_fingerprint(*fed_);
      data_key_ = key;
    }
    analytics::QuerySpec q = spec();
    q.seed = s.run.seed;
    const std::string path = ledger_path(s);
    const bool fresh = !std::filesystem::exists(path);  // the budget is set once, by the first
    out = analytics::answer_query(*table_, q, fingerprint_, path,
                                  fresh ? std::optional<double>(form.budget_epsilon) : std::nullopt,
                                  fresh ? std::optional<double>(form.budget_delta) : std::nullopt);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  last = std::move(out);
  return *last;
}

}  // namespace fedsim::ui
