// Private queries (sim/analytics/query.h, budget_ledger.h): contribution bounding under
// adversarial input, intervals that cover, randomised response's debiased estimates, secagg =
// central, near-exact answers at a huge epsilon, the budget ledger's composition and refusals, and
// `fedsim query` end to end (a refused query leaves the ledger file as it was).
//
// Coverage and unbiasedness are checked over many queries with fresh noise (query_index), with
// thresholds 5 standard errors wide: a correct implementation fails with probability < 1e-6.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "sim/analytics/budget_ledger.h"
#include "sim/analytics/query.h"

using namespace fedsim;
using namespace fedsim::analytics;

namespace {

// A federation of `clients` clients with rows_per_client rows each: features "amount" (uniform in
// [0, 100)) and "flag" (0/1), label 0/1, attribute "kind" with 4 levels; plus, optionally, one
// adversarial client with `big` rows, all of kind k0 and amount 1e9.
Federation make_fed(int clients, int rows_per_client, int64_t big = 0, uint32_t seed = 1) {
  Federation f;
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> amount(0.0f, 100.0f);
  f.train.d = 2;
  f.train.feature_names = {"amount", "flag"};
  RowAttribute kind{"kind", {"k0", "k1", "k2", "k3"}, {}};
  f.offsets.push_back(0);
  auto add_row = [&](float a, int flag, int label, int k) {
    f.train.x.push_back(a);
    f.train.x.push_back(float(flag));
    f.train.y.push_back(label);
    kind.code.push_back(k);
  };
  for (int c = 0; c < clients; ++c) {
    for (int i = 0; i < rows_per_client; ++i)
      add_row(amount(gen), int(gen() % 2), int(gen() % 2), int(gen() % 4));
    f.offsets.push_back(int64_t(f.train.y.size()));
  }
  if (big > 0) {
    for (int64_t i = 0; i < big; ++i) add_row(1e9f, 1, 1, 0);
    f.offsets.push_back(int64_t(f.train.y.size()));
  }
  f.train.n = int64_t(f.train.y.size());
  f.train.attributes.push_back(kind);
  return f;
}

QuerySpec spec(Statistic stat, const std::string& column = "", double lo = NAN, double hi = NAN) {
  QuerySpec s;
  s.stat = stat;
  s.column = column;
  s.lower = lo;
  s.upper = hi;
  return s;
}

}  // namespace

TEST(Query, OneClientWithAMillionRowsMovesTheAnswerByAtMostTheSensitivity) {
  const Federation honest = make_fed(200, 20), attacked = make_fed(200, 20, 1000000);
  const QueryTable a(honest), b(attacked);
  QuerySpec specs[] = {spec(Statistic::Count), spec(Statistic::Sum, "amount", 0, 100),
                       spec(Statistic::Histogram, "kind"),
                       spec(Statistic::Sum, "amount", -50, 100)};
  specs[0].group_by = "kind";
  specs[1].group_by = "kind";
  for (QuerySpec& s : specs) {
    s.max_rows = 3;
    s.max_groups = 2;
    s.epsilon = 1.0;
    const QueryResult ra = run_query(a, s), rb = run_query(b, s);
    ASSERT_EQ(ra.exact.size(), rb.exact.size());
    double l1 = 0;
    for (size_t g = 0; g < ra.exact.size(); ++g) l1 += std::abs(rb.exact[g] - ra.exact[g]);
    // the vector of exact (bounded) answers moves by at most its L1 sensitivity
    EXPECT_LE(l1, ra.sensitivity * (1 + 1e-12)) << ra.description;
    EXPECT_GT(l1, 0.0) << ra.description;  // the attacker's capped rows are counted
    EXPECT_EQ(rb.rows_read - ra.rows_read, 1000000);
  }
}

TEST(Query, CentralIntervalsCoverAndAnswersAreUnbiased) {
  const Federation fed = make_fed(300, 10);
  const QueryTable t(fed);
  for (Mechanism m : {Mechanism::DiscreteLaplace, Mechanism::Laplace, Mechanism::Gaussian,
                      Mechanism::DiscreteGaussian}) {
    QuerySpec s = spec(Statistic::Sum, "amount", 0, 100);
    s.mechanism = m;
    s.epsilon = 0.5;
    s.delta = is_gaussian(m) ? 1e-6 : 0.0;
    s.max_rows = 2;
    const int Q = 400;
    int covered = 0;
    double err = 0, exact = 0;
    for (int q = 0; q < Q; ++q) {
      s.query_index = uint32_t(q);
      const QueryResult r = run_query(t, s);
      exact = r.exact[0];
      covered += r.answers[0].ci_low <= exact && exact <= r.answers[0].ci_high;
      err += r.answers[0].value - exact;
    }
    const double sd = calibrate({m, 0.5, s.delta, 200.0, 100.0 / 1024}).variance;
    EXPECT_GE(covered, Q * 0.95 - 5 * std::sqrt(Q * 0.95 * 0.05)) << mechanism_name(m);
    EXPECT_LT(std::abs(err / Q), 5 * std::sqrt(sd / Q)) << mechanism_name(m);
  }
}

TEST(Query, SecureAggregationGivesTheCentralNumbers) {
  const Federation fed = make_fed(100, 8);
  const QueryTable t(fed);
  QuerySpec s = spec(Statistic::Mean, "amount", 0, 100);
  s.group_by = "kind";
  s.max_rows = 4;
  s.max_groups = 3;
  const QueryResult central = run_query(t, s);
  s.trust = TrustModel::SecureAggregation;
  const QueryResult secure = run_query(t, s);
  ASSERT_EQ(central.answers.size(), 4u);
  for (size_t g = 0; g < 4; ++g) {
    EXPECT_EQ(central.answers[g].value, secure.answers[g].value);
    EXPECT_EQ(central.answers[g].ci_low, secure.answers[g].ci_low);
  }
  EXPECT_EQ(central.cost.epsilon, secure.cost.epsilon);
}

TEST(Query, AHugeEpsilonGivesTheBoundedExactAnswers) {
  const Federation fed = make_fed(500, 6);
  const QueryTable t(fed);
  double mean = 0, sq = 0;
  int64_t n = 0;
  std::vector<double> values;
  for (int64_t r = 0; r < fed.train.n; ++r) {
    const double v = fed.train.x[size_t(2 * r)];
    mean += v;
    sq += v * v;
    ++n;
    values.push_back(v);
  }
  mean /= double(n);
  const double var = sq / double(n) - mean * mean;
  std::sort(values.begin(), values.end());
  for (Statistic st : {Statistic::Mean, Statistic::Variance, Statistic::Quantile}) {
    QuerySpec s = spec(st, "amount", 0, 100);
    s.max_rows = 6;
    s.epsilon = 1e4;
    s.bins = 200;
    const QueryResult r = run_query(t, s);
    const double want = st == Statistic::Mean       ? mean
                        : st == Statistic::Variance ? var
                                                    : values[values.size() / 2];
    const double tol = st == Statistic::Quantile ? 0.5 + 1e-9 : 1e-3 * std::abs(want) + 0.02;
    EXPECT_NEAR(r.answers[0].value, want, tol) << r.description;
    EXPECT_LE(r.answers[0].ci_low, r.answers[0].value);
    EXPECT_GE(r.answers[0].ci_high, r.answers[0].value);
  }
}

TEST(Query, RandomisedResponseEstimatesWithinTheirIntervals) {
  const Federation fed = make_fed(4000, 3);  // each client reports one of its rows' kind
  const QueryTable t(fed);
  QuerySpec s = spec(Statistic::Histogram, "kind");
  s.trust = TrustModel::Local;
  s.epsilon = 1.0;
  const int Q = 150;
  int covered = 0, total = 0;
  std::vector<double> sum(4, 0), truth_sum(4, 0);
  for (int q = 0; q < Q; ++q) {
    s.query_index = uint32_t(q);
    const QueryResult r = run_query(t, s);
    ASSERT_EQ(r.answers.size(), 4u);
    for (size_t v = 0; v < 4; ++v) {
      covered += r.answers[v].ci_low <= r.exact[v] && r.exact[v] <= r.answers[v].ci_high;
      ++total;
      sum[v] += r.answers[v].value - r.exact[v];
    }
    EXPECT_EQ(r.rows_used, 4000);  // one report per client
  }
  EXPECT_GE(covered, total * 0.95 - 5 * std::sqrt(total * 0.95 * 0.05));
  // unbiased: the mean error over the queries, against the estimate's standard deviation
  const double e = std::exp(1.0), p = e / (e + 3), q = 1 / (e + 3);
  const double sd = std::sqrt(4000 * q * (1 - q)) / (p - q);
  for (size_t v = 0; v < 4; ++v) EXPECT_LT(std::abs(sum[v] / Q), 5 * sd / std::sqrt(double(Q)));
}

TEST(Query, LocalSumIsUnbiasedWithCoveringIntervals) {
  const Federation fed = make_fed(400, 5);
  const QueryTable t(fed);
  QuerySpec s = spec(Statistic::Sum, "amount", 0, 100);
  s.trust = TrustModel::Local;
  s.max_rows = 2;
  s.epsilon = 1.0;
  const int Q = 200;
  int covered = 0;
  double err = 0;
  for (int q = 0; q < Q; ++q) {
    s.query_index = uint32_t(q);
    const QueryResult r = run_query(t, s);
    covered += r.answers[0].ci_low <= r.exact[0] && r.exact[0] <= r.answers[0].ci_high;
    err += r.answers[0].value - r.exact[0];
    EXPECT_DOUBLE_EQ(r.sensitivity, 200.0);  // one client's local sum spans [0, 2 x 100]
  }
  EXPECT_GE(covered, Q * 0.95 - 5 * std::sqrt(Q * 0.95 * 0.05));
  const double sd = std::sqrt(400 * 2.0) * 200.0;  // 400 clients' Laplace noise, scale 200
  EXPECT_LT(std::abs(err / Q), 5 * sd / std::sqrt(double(Q)));
}

TEST(Query, BadQueriesNameTheOptionAndWhatWasExpected) {
  const Federation fed = make_fed(10, 2);
  const QueryTable t(fed);
  auto message = [&](QuerySpec s) {
    try {
      validate_query(s, t);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(spec(Statistic::Sum, "price", 0, 1)).find("no column 'price'"),
            std::string::npos);
  EXPECT_NE(message(spec(Statistic::Sum, "amount")).find("--lower/--upper"), std::string::npos);
  QuerySpec local_mean = spec(Statistic::Mean, "amount", 0, 1);
  local_mean.trust = TrustModel::Local;
  EXPECT_NE(message(local_mean).find("--trust local"), std::string::npos);
  QuerySpec where = spec(Statistic::Count);
  where.where = "kind=k9";
  EXPECT_NE(message(where).find("no level 'k9'"), std::string::npos);
  QuerySpec gauss = spec(Statistic::Count);
  gauss.mechanism = Mechanism::Gaussian;
  EXPECT_NE(message(gauss).find("delta"), std::string::npos);
}

TEST(BudgetLedger, ComposesRefusesAndSpendsNothingWhenRefused) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "fedsim-test-ledger.toml").string();
  std::filesystem::remove(path);
  EXPECT_THROW(BudgetLedger::open(path, "abc", std::nullopt, std::nullopt), std::invalid_argument);
  BudgetLedger l = BudgetLedger::open(path, "abc", 1.0, 1e-5);
  EXPECT_FALSE(std::filesystem::exists(path));  // nothing written before a query is answered
  const QueryCost lap{0.6, 0, 0, true};
  std::string why;
  ASSERT_TRUE(l.fits(lap, &why));
  l.record({"t", "q1", "discrete_laplace", lap});
  EXPECT_FALSE(l.fits(lap, &why));
  EXPECT_NE(why.find("Nothing was spent"), std::string::npos);
  std::ifstream before_in(path);
  std::stringstream before;
  before << before_in.rdbuf();
  // reopened: the same spent, the same budget; another dataset or budget is refused
  BudgetLedger again = BudgetLedger::open(path, "abc", std::nullopt, std::nullopt);
  EXPECT_DOUBLE_EQ(again.spent().epsilon, 0.6);
  EXPECT_THROW(BudgetLedger::open(path, "other", std::nullopt, std::nullopt),
               std::invalid_argument);
  EXPECT_THROW(BudgetLedger::open(path, "abc", 2.0, std::nullopt), std::invalid_argument);
  // Gaussian queries: zCDP beats basic composition for many small ones, within the delta budget.
  const CalibratedNoise g = calibrate({Mechanism::Gaussian, 0.02, 1e-8, 1.0});
  const QueryCost gq{0.02, 1e-8, 1.0 / (2 * g.scale * g.scale), false};
  double last = again.spent().epsilon;
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(again.fits(gq, &why)) << why;
    again.record({"t", "g", "gaussian", gq});
    const Spent sp = again.spent();
    EXPECT_GT(sp.epsilon, last);
    EXPECT_LE(sp.delta, 1e-5);
    EXPECT_LE(sp.epsilon, 0.6 + 0.02 * (i + 1) + 1e-12);  // never worse than basic composition
    last = sp.epsilon;
  }
  std::filesystem::remove(path);
}

#ifdef FEDSIM_BIN
// The CLI end to end: a histogram per category within a budget, then a query past it is refused
// with exit code 4 and the ledger file is byte for byte unchanged.
TEST(QueryCli, AnswersThenRefusesPastTheBudgetAndSpendsNothing) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "fedsim-query-cli";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string ledger = (dir / "budget.toml").string();
  const std::string base = std::string(FEDSIM_BIN) + " query " + FEDSIM_TEST_DATA +
                           "/scenarios/tiny.toml --budget-file " + ledger;
  const std::string out = (dir / "out.txt").string();
  auto run = [&](const std::string& args) {
    const int rc = std::system((base + " " + args + " > " + out + " 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return std::make_pair(WEXITSTATUS(rc), ss.str());
  };
  auto [rc1, text1] =
      run("--stat histogram --column label --epsilon 1 --budget-epsilon 1.5 "
          "--max-rows 5 --json");
  ASSERT_EQ(rc1, 0) << text1;
  EXPECT_NE(text1.find("\"spent_epsilon\": 1"), std::string::npos) << text1;
  EXPECT_NE(text1.find("\"ci95\""), std::string::npos) << text1;
  std::ifstream a(ledger);
  std::stringstream before;
  before << a.rdbuf();
  auto [rc2, text2] = run("--stat count --epsilon 1");
  EXPECT_EQ(rc2, 4) << text2;
  EXPECT_NE(text2.find("refused"), std::string::npos) << text2;
  std::ifstream b(ledger);
  std::stringstream after;
  after << b.rdbuf();
  EXPECT_EQ(before.str(), after.str());
  auto [rc3, text3] = run("--stat count --epsilon 0.5");  // exactly what is left: answered
  EXPECT_EQ(rc3, 0) << text3;
  EXPECT_NE(text3.find("0 left"), std::string::npos) << text3;
  std::filesystem::remove_all(dir);
}
#endif
