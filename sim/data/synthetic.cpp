// Synthetic e-commerce generator (see synthetic.h and docs/datasets.md for the model).
//
// Layout of the randomness, all from Philox streams with purpose DataGen:
//  - counter (kWorldWord, 0, 0): the "world" (categories, prices, affinities, fraud rings);
//  - counter (shop, 0, 0): one shop's parameters (first draw: its size weight);
//  - counter (shop, 1, chunk): sessions chunk * kChunk onwards of that shop.
// Work items are (shop, chunk) pairs, so shops generate in parallel and large shops split too, and
// the bytes written never depend on the thread count or schedule.
#include "sim/data/synthetic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "sim/util/rng.h"

namespace fedsim {
namespace {

constexpr int kCategories = 12;
constexpr int kCatEmb = 4;
constexpr int kRings = 24;        // fraud rings, shared across all shops
constexpr int kRingDevices = 3;   // device fingerprints per ring
constexpr int64_t kChunk = 4096;  // sessions per work item
constexpr uint32_t kWorldWord = 0xFFFFFFFFu;
constexpr double kTwoPi = 6.283185307179586;

// Column indices (kept in one place so the label model and the names agree).
enum Col : int {
  kLogPrice,
  kDiscount,
  kHourSin,
  kHourCos,
  kWeekend,
  kMobile,
  kDesktop,
  kTablet,
  kLogBasket,
  kLogMinutes,
  kLogPages,
  kLogPast,
  kLogAge,
  kReturning,
  kCartAdds,
  kSearches,
  kCatEmb0,  // .. kCatEmb0 + 3
  kFp0 = kCatEmb0 + kCatEmb,
  kFp1,
  kLogDevAccounts,
  kAddrMismatch,
  kNumCols
};
static_assert(kNumCols == kSyntheticFeatures);

const char* const kNames[kNumCols] = {"log_price",
                                      "discount",
                                      "hour_sin",
                                      "hour_cos",
                                      "is_weekend",
                                      "device_mobile",
                                      "device_desktop",
                                      "device_tablet",
                                      "log_basket_size",
                                      "log_session_minutes",
                                      "log_pages_viewed",
                                      "log_past_purchases",
                                      "log_account_age_days",
                                      "is_returning",
                                      "cart_adds",
                                      "search_queries",
                                      "category_emb_0",
                                      "category_emb_1",
                                      "category_emb_2",
                                      "category_emb_3",
                                      "device_fp_0",
                                      "device_fp_1",
                                      "log_device_accounts",
                                      "address_mismatch"};

// Uniform in (0, 1) from one 32-bit draw: half the Philox cost of Stream::uniform().
inline double u01(Stream& s) {
  return (double(s.next_u32() >> 8) + 0.5) * 0x1.0p-24;
}
inline double sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}
// Exponential(1) draw.
inline double expo(Stream& s) {
  return -std::log(u01(s));
}

struct World {
  std::array<std::array<float, kCatEmb>, kCategories> emb{};
  std::array<double, kCategories> price_mean{};  // typical log price of the category
  std::array<double, kCategories> bias{};        // purchase affinity
  std::array<double, kCategories> price_sens{};  // how much a relatively high price hurts
  std::array<std::array<std::array<float, 2>, kRingDevices>, kRings> ring_fp{};
  std::array<double, kRings> ring_hour{};  // each ring operates around one (odd) hour
};

World make_world(uint64_t seed) {
  World w;
  Stream s(seed, RngPurpose::DataGen, kWorldWord, 0, 0);
  for (int c = 0; c < kCategories; ++c) {
    for (int k = 0; k < kCatEmb; ++k) w.emb[c][k] = float(s.normal());
    w.price_mean[c] = 3.0 + 0.8 * s.normal();
    w.bias[c] = 0.6 * s.normal();
    w.price_sens[c] = 0.3 + 1.4 * s.uniform();
  }
  for (int r = 0; r < kRings; ++r) {
    for (int j = 0; j < kRingDevices; ++j)
      for (int k = 0; k < 2; ++k) w.ring_fp[r][j][k] = float(2.0 * s.uniform() - 1.0);
    w.ring_hour[r] = 1.0 + 4.0 * s.uniform();  // 1am .. 5am
  }
  return w;
}

struct Shop {
  double size_z = 0;
  std::array<double, kCategories> cat_cdf{};
  double offset = 0;       // purchase logit offset (unobserved: the non-IID part of the label)
  double price_level = 0;  // added to every log price
  double p_mobile = 0, p_tablet = 0;
  double p_discount = 0;
  double p_returning = 0;
};

Shop make_shop(uint64_t seed, uint32_t shop, double alpha) {
  Shop p;
  Stream s(seed, RngPurpose::DataGen, shop, 0, 0);
  p.size_z = s.normal();  // must stay the first draw (synthetic_shop_sizes reads only this)
  double total = 0;
  for (int c = 0; c < kCategories; ++c) {
    p.cat_cdf[c] = s.gamma(alpha);
    total += p.cat_cdf[c];
  }
  double acc = 0;
  for (int c = 0; c < kCategories; ++c) {
    // total can underflow to 0 for tiny alpha: fall back to one category.
    acc += total > 0 ? p.cat_cdf[c] / total : (c == 0 ? 1.0 : 0.0);
    p.cat_cdf[c] = acc;
  }
  p.cat_cdf[kCategories - 1] = 1.0;
  p.offset = 0.6 * s.normal();
  p.price_level = 0.35 * s.normal();
  p.p_mobile = sigmoid(0.4 + 0.8 * s.normal());
  p.p_tablet = (1.0 - p.p_mobile) * 0.25 * s.uniform();
  p.p_discount = 0.05 + 0.35 * s.uniform();
  p.p_returning = 0.2 + 0.45 * s.uniform();
  return p;
}

// Generate `count` sessions of shop `sp` into rows starting at `x`/`y` (and each session's product
// category into `category`).
void gen_sessions(const DataConfig& cfg, const World& w, const Shop& sp, Stream& s, int64_t count,
                  float* x, int32_t* y, float* p_out, uint8_t* fraud_out, int32_t* category) {
  const bool fraud_task = cfg.task == SyntheticTask::Fraud;
  for (int64_t i = 0; i < count; ++i) {
    float* r = x + i * kNumCols;
    const double uc = u01(s);
    int c = 0;
    while (c < kCategories - 1 && uc > sp.cat_cdf[c]) ++c;
    const double ud = u01(s);
    const int device = ud < sp.p_mobile ? 0 : (ud < sp.p_mobile + sp.p_tablet ? 2 : 1);
    const bool fraud = u01(s) < cfg.fraud_rate;
    const bool weekend = u01(s) < 2.0 / 7.0;

    double hour, log_age, rel_price, dev_accounts, fp0, fp1;
    bool returning, mismatch;
    if (fraud) {
      if (u01(s) < 0.8) {  // a ring member: one of the ring's shared devices
        const int rg = int(s.below(kRings));
        const int dv = int(s.below(kRingDevices));
        fp0 = w.ring_fp[rg][dv][0];
        fp1 = w.ring_fp[rg][dv][1];
        dev_accounts = 1.0 + double(s.below(5));
        hour = u01(s) < 0.4 ? w.ring_hour[rg] + 0.7 * s.normal() : 24.0 * u01(s);
      } else {  // lone fraudster: own device, weaker signals
        fp0 = 2.0 * u01(s) - 1.0;
        fp1 = 2.0 * u01(s) - 1.0;
        dev_accounts = std::floor(1.5 * expo(s));
        hour = u01(s) < 0.25 ? 3.0 + 1.5 * s.normal() : 24.0 * u01(s);
      }
      returning = u01(s) < 0.15;
      log_age = 1.2 + 1.5 * s.normal();  // new accounts
      rel_price = 0.25 + 0.55 * s.normal();
      mismatch = u01(s) < 0.2;
    } else {
      fp0 = 2.0 * u01(s) - 1.0;
      fp1 = 2.0 * u01(s) - 1.0;
      // Most devices have one account; shared/public devices have several.
      dev_accounts = u01(s) < 0.1 ? 1.0 + std::floor(3.0 * expo(s)) : std::floor(0.4 * expo(s));
      hour = u01(s) < 0.65 ? 20.0 + 3.5 * s.normal() : 24.0 * u01(s);
      returning = u01(s) < sp.p_returning;
      log_age = returning ? 5.0 + 0.8 * s.normal() : 1.5 + 1.5 * s.normal();
      rel_price = 0.5 * s.normal();
      mismatch = u01(s) < 0.05;
    }
    hour = std::fmod(std::fmod(hour, 24.0) + 24.0, 24.0);
    log_age = std::max(0.0, log_age);
    const double log_price = sp.price_level + w.price_mean[c] + rel_price;
    const double discount = u01(s) < sp.p_discount ? 0.05 + 0.45 * u01(s) : 0.0;
    const double log_min = 1.8 + 0.8 * s.normal() + (fraud ? -0.3 : 0.0);
    const double pages = 1.0 + std::floor(std::exp(0.7 * log_min + 0.5 * s.normal()));
    const double cart_adds = std::min(20.0, std::floor((0.25 + 0.12 * pages) * expo(s)));
    const double basket = std::max(0.0, cart_adds - double(s.below(2)));
    const double searches = std::floor(1.2 * expo(s));
    const double past = returning ? std::floor(std::exp(1.0 + 1.0 * s.normal())) : 0.0;
    const double log_past = std::log1p(past);

    // Purchase model: a shop offset (unobserved) plus non-linear effects and interactions, so that
    // a linear model leaves a few points of accuracy on the table.
    const bool long_session = log_min > 2.4;
    double z = sp.offset - 1.5 + w.bias[c];
    z += 3.0 * std::tanh(0.7 * cart_adds);             // saturating
    z -= 0.9 * (log_min - 2.0) * (log_min - 2.0);      // peaks at ~7 minutes
    z -= 1.8 * w.price_sens[c] * rel_price;            // category x price
    z += 1.5 * discount + 3.0 * discount * rel_price;  // discount x price
    z += 0.8 * log_past + (returning ? 1.0 : 0.0);     // loyal customers
    z += (returning && past >= 3) ? 0.5 : 0.0;
    z -= (device == 0 && long_session) ? 0.8 : 0.0;      // mobile x long session
    z += 0.9 * std::cos(kTwoPi * (hour - 20.0) / 24.0);  // evening peak
    z += (weekend != (device == 1)) ? 0.35 : -0.35;      // weekend XOR desktop
    z -= searches >= 3 ? 0.5 : 0.0;
    z += fraud ? 1.5 : 0.0;  // fraudsters do check out (with stolen cards)
    const double p_purchase = sigmoid(z);

    // Fraud label: exactly the fraud flag (its rate is cfg.fraud_rate); P(fraud) given the features
    // is not tracked, so p_out holds the 0/1 flag for the fraud task.
    const bool purchase = u01(s) < p_purchase;
    y[i] = fraud_task ? int32_t(fraud) : int32_t(purchase);
    if (p_out) p_out[i] = float(fraud_task ? (fraud ? 1.0 : 0.0) : p_purchase);
    if (fraud_out) fraud_out[i] = uint8_t(fraud);
    category[i] = c;

    r[kLogPrice] = float(log_price);
    r[kDiscount] = float(discount);
    r[kHourSin] = float(std::sin(kTwoPi * hour / 24.0));
    r[kHourCos] = float(std::cos(kTwoPi * hour / 24.0));
    r[kWeekend] = weekend ? 1.f : 0.f;
    r[kMobile] = device == 0 ? 1.f : 0.f;
    r[kDesktop] = device == 1 ? 1.f : 0.f;
    r[kTablet] = device == 2 ? 1.f : 0.f;
    r[kLogBasket] = float(std::log1p(basket));
    r[kLogMinutes] = float(log_min);
    r[kLogPages] = float(std::log(pages));
    r[kLogPast] = float(log_past);
    r[kLogAge] = float(log_age);
    r[kReturning] = returning ? 1.f : 0.f;
    r[kCartAdds] = float(cart_adds);
    r[kSearches] = float(searches);
    for (int k = 0; k < kCatEmb; ++k) r[kCatEmb0 + k] = w.emb[c][k];
    r[kFp0] = float(fp0);
    r[kFp1] = float(fp1);
    r[kLogDevAccounts] = float(std::log1p(dev_accounts));
    r[kAddrMismatch] = mismatch ? 1.f : 0.f;
  }
}

void validate(const DataConfig& cfg) {
  auto bad = [](const std::string& m) { throw std::invalid_argument("synthetic data: " + m); };
  if (cfg.shops < 1) bad("shops must be >= 1, got " + std::to_string(cfg.shops));
  if (cfg.samples < cfg.shops)
    bad("samples (" + std::to_string(cfg.samples) + ") must be >= shops (" +
        std::to_string(cfg.shops) + ")");
  if (!(cfg.shop_size_sigma >= 0) || !std::isfinite(cfg.shop_size_sigma))
    bad("shop_size_sigma must be >= 0");
  if (!(cfg.category_alpha > 0) || !std::isfinite(cfg.category_alpha))
    bad("category_alpha must be > 0");
  if (!(cfg.fraud_rate >= 0 && cfg.fraud_rate <= 1)) bad("fraud_rate must be in [0, 1]");
}

}  // namespace

std::vector<int64_t> synthetic_shop_sizes(int64_t samples, int shops, double sigma, uint64_t seed) {
  if (shops < 1 || samples < shops)
    throw std::invalid_argument("synthetic data: need samples >= shops >= 1");
  std::vector<double> wt(shops);
  for (int i = 0; i < shops; ++i) {
    Stream s(seed, RngPurpose::DataGen, uint32_t(i), 0, 0);
    wt[i] = std::exp(sigma * s.normal());
  }
  const double total = std::accumulate(wt.begin(), wt.end(), 0.0);
  const int64_t rest = samples - shops;  // every shop gets 1, the rest by weight
  std::vector<int64_t> size(shops);
  std::vector<std::pair<double, int>> frac(shops);
  int64_t given = 0;
  for (int i = 0; i < shops; ++i) {
    const double q = double(rest) * wt[i] / total;
    const int64_t f = std::min<int64_t>(rest, int64_t(std::floor(q)));
    size[i] = 1 + f;
    given += f;
    frac[i] = {q - double(f), i};
  }
  // Largest remainder; ties go to the lower shop id. The loop guards against rounding drift.
  std::sort(frac.begin(), frac.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (int64_t k = 0; given < rest; ++k, ++given) ++size[frac[k % shops].second];
  for (int64_t k = 0; given > rest; ++k) {  // only if floor(q) summed above rest (cannot normally)
    int i = frac[shops - 1 - (k % shops)].second;
    if (size[i] > 1) --size[i], --given;
  }
  return size;
}

Dataset generate_synthetic(const DataConfig& cfg, uint64_t seed, SyntheticTruth* truth) {
  validate(cfg);
  const int shops = cfg.shops;
  const std::vector<int64_t> sizes =
      synthetic_shop_sizes(cfg.samples, shops, cfg.shop_size_sigma, seed);
  const World world = make_world(seed);

  Dataset ds;
  ds.n = cfg.samples;
  ds.d = kNumCols;
  ds.classes = 2;
  ds.feature_names.assign(kNames, kNames + kNumCols);
  ds.x.resize(size_t(ds.n) * kNumCols);
  ds.y.resize(size_t(ds.n));
  ds.group.resize(size_t(ds.n));
  // The product category of each session: not a feature (the model sees its embedding), an
  // attribute for private queries ("purchases per category").
  RowAttribute& category = ds.attributes.emplace_back();
  category.name = "category";
  for (int c = 0; c < kCategories; ++c) {
    std::string level = std::to_string(c);  // "c" + ... trips GCC 12's -Wrestrict false positive
    level.insert(level.begin(), 'c');
    category.levels.push_back(level);
  }
  category.code.resize(size_t(ds.n));
  if (truth) {
    truth->p_label.resize(size_t(ds.n));
    truth->fraud.resize(size_t(ds.n));
    truth->shop_sizes = sizes;
  }

  // Work items: (shop, chunk, first row).
  struct Item {
    int shop;
    uint32_t chunk;
    int64_t row, count;
  };
  std::vector<Item> items;
  std::vector<int64_t> shop_row(shops + 1, 0);
  for (int i = 0; i < shops; ++i) {
    shop_row[i + 1] = shop_row[i] + sizes[i];
    for (int64_t k = 0; k * kChunk < sizes[i]; ++k)
      items.push_back(
          {i, uint32_t(k), shop_row[i] + k * kChunk, std::min(kChunk, sizes[i] - k * kChunk)});
  }
  std::vector<Shop> params(shops);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < shops; ++i) params[i] = make_shop(seed, uint32_t(i), cfg.category_alpha);

  const int64_t n_items = int64_t(items.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t t = 0; t < n_items; ++t) {
    const Item& it = items[t];
    Stream s(seed, RngPurpose::DataGen, uint32_t(it.shop), 1, it.chunk);
    gen_sessions(cfg, world, params[it.shop], s, it.count, ds.x.data() + it.row * kNumCols,
                 ds.y.data() + it.row, truth ? truth->p_label.data() + it.row : nullptr,
                 truth ? truth->fraud.data() + it.row : nullptr, category.code.data() + it.row);
    std::fill(ds.group.begin() + it.row, ds.group.begin() + it.row + it.count, it.shop);
  }
  return ds;
}

}  // namespace fedsim
