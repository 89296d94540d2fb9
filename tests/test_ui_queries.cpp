// The dashboard's Queries tab without a window (ui/query_view.h): the form becomes the query that
// `fedsim query` would ask, the answer carries its intervals and the budget, a query past the
// budget is refused and leaves the ledger file as it was, and errors are messages, not throws.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario.h"
#include "ui/query_view.h"

using namespace fedsim;
using namespace fedsim::ui;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST(UiQueries, AnswersWithIntervalsThenRefusesPastTheBudget) {
  const Scenario s = load_scenario_file(std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml");
  const std::string ledger =
      (std::filesystem::temp_directory_path() / "fedsim-ui-queries.budget.toml").string();
  std::filesystem::remove(ledger);
  QueryView q;
  q.form.ledger = ledger;
  q.form.stat = 4;  // histogram
  q.form.column = "category";
  q.form.where = "label=1";
  q.form.max_rows = 10;
  q.form.epsilon = 1.0;
  q.form.budget_epsilon = 1.5;
  const auto& first = q.ask(s);
  ASSERT_TRUE(first.answered) << first.error << first.message;
  EXPECT_EQ(first.result.answers.size(), 12u);  // c0 .. c11
  for (const auto& g : first.result.answers) {
    EXPECT_LE(g.ci_low, g.value);
    EXPECT_GE(g.ci_high, g.value);
  }
  EXPECT_DOUBLE_EQ(first.spent.epsilon, 1.0);
  EXPECT_DOUBLE_EQ(first.budget_epsilon, 1.5);
  const std::string before = slurp(ledger);
  q.form.budget_epsilon = 100;  // ignored: an existing ledger keeps its budget
  const auto& second = q.ask(s);
  EXPECT_FALSE(second.answered);
  EXPECT_TRUE(second.refused);
  EXPECT_NE(second.message.find("Nothing was spent"), std::string::npos);
  EXPECT_DOUBLE_EQ(second.spent.epsilon, 1.0);
  EXPECT_EQ(slurp(ledger), before);
  q.form.epsilon = 0.5;  // exactly what is left
  q.form.stat = 0;       // count
  EXPECT_TRUE(q.ask(s).answered);
  EXPECT_DOUBLE_EQ(q.last->spent.epsilon, 1.5);
  q.form.stat = 1;  // sum of a column that does not exist: a message, nothing spent
  q.form.column = "price";
  const auto& bad = q.ask(s);
  EXPECT_FALSE(bad.answered);
  EXPECT_NE(bad.error.find("no column 'price'"), std::string::npos);
  std::filesystem::remove(ledger);
}

TEST(UiQueries, TheFormIsTheCliQuery) {
  QueryView q;
  q.form.stat = 2;  // mean
  q.form.column = "log_price";
  q.form.lower = 0;
  q.form.upper = 8;
  q.form.mechanism = 1;  // discrete Gaussian
  q.form.delta = 1e-7;
  q.form.trust = 1;  // secagg
  const analytics::QuerySpec s = q.spec();
  EXPECT_EQ(s.stat, analytics::Statistic::Mean);
  EXPECT_EQ(s.mechanism, analytics::Mechanism::DiscreteGaussian);
  EXPECT_EQ(s.trust, analytics::TrustModel::SecureAggregation);
  EXPECT_DOUBLE_EQ(s.delta, 1e-7);
  EXPECT_DOUBLE_EQ(s.upper, 8.0);
  q.form.stat = 0;  // count: no column, no bounds
  q.form.mechanism = 0;
  const analytics::QuerySpec c = q.spec();
  EXPECT_TRUE(c.column.empty());
  EXPECT_TRUE(std::isnan(c.lower));
  EXPECT_DOUBLE_EQ(c.delta, 0.0);  // Laplace mechanisms are pure
}
