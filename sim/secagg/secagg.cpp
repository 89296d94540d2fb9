// Secure aggregation engine: settings, the integer pipeline and the SecAgg / SecAgg+ message flow
// of one round, with the server's reconstruction and the exactness check. See secagg.h and
// docs/secagg.md.
//
// Simulation choices (docs/secagg.md): all clients and the server run in this process; messages
// are not sent but counted (bytes); the share encryption between clients is counted, not computed
// (the server is honest-but-curious and there is no eavesdropper); in deterministic mode every
// secret key, self-mask seed and Shamir coefficient is derived from the run seed with keyed
// BLAKE2b, so a seed reproduces a round bit for bit; computation the protocol would waste (masked
// inputs that never arrive, work before an abort) is charged in the costs but not executed.
#include "sim/secagg/secagg.h"

#include <omp.h>
#include <sodium.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "sim/secagg/discrete_gaussian.h"
#include "sim/secagg/shamir.h"
#include "sim/util/format.h"
#include "sim/util/gaussian_noise.h"

namespace fedsim::secagg {

namespace {

// Purposes of the Philox streams of this module (part of the key, as in gaussian_noise.h).
constexpr uint32_t kPurposeRounding = 0x53415352u;  // "SASR": stochastic rounding
constexpr uint32_t kPurposeDropout = 0x53414450u;   // "SADP": dropout draws
constexpr uint32_t kPurposeDpNoise = 0x53414447u;   // "SADG": discrete Gaussian noise
constexpr uint32_t kPurposeGraph = 0x53414752u;     // "SAGR": SecAgg+ graph

// Purposes of the keyed-hash derivations (deterministic mode).
enum : uint32_t {
  kDeriveMaskKey = 1,
  kDeriveChannelKey = 2,
  kDeriveSelfSeed = 3,
  kDeriveShamir = 4
};

// Message sizes of the cost model (bytes).
constexpr uint64_t kIdBytes = 4;
constexpr uint64_t kPublicKeyBytes = crypto_scalarmult_BYTES;  // 32
constexpr uint64_t kShareBytes = 4 + 8 * kShamirChunks;        // x + 8 elements = 68
constexpr uint64_t kAeadOverhead = 16 + 12;                    // tag + nonce
constexpr uint64_t kEncryptedShares = 2 * kIdBytes + 2 * kShareBytes + kAeadOverhead;  // 172

// Noise-tail factor of the bit budget: a discrete Gaussian is sub-Gaussian with its parameter
// (CKS 2020, Proposition 23), so |noise sum| > 10 sigma has probability below 2 exp(-50) ~ 4e-22.
constexpr double kNoiseTail = 10.0;

void sodium_ready() {
  static const int r = sodium_init();
  if (r < 0) throw std::runtime_error("secagg: sodium_init failed");
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A uniform double in [0, 1) from one Philox draw of (key; c0, c1, c2, c3).
double philox_uniform(NoiseKey k, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3) {
  uint32_t out[4];
  philox4x32_10(c0, c1, c2, c3, k.k0, k.k1, out);
  return double((uint64_t(out[0]) << 21) ^ out[1]) * 0x1.0p-53;
}

// Keyed BLAKE2b (libsodium crypto_generichash): 32 bytes for (round, client id, purpose).
Secret derive(const Secret& run_key, uint32_t round, uint32_t id, uint32_t purpose) {
  uint32_t msg[3] = {round, id, purpose};
  Secret out;
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(msg),
                     sizeof(msg), run_key.data(), run_key.size());
  return out;
}

Secret make_run_key(uint64_t seed) {
  unsigned char msg[32] = "fedsim secagg run key v1";
  std::memcpy(msg + 24, &seed, 8);
  Secret out;
  crypto_generichash(out.data(), out.size(), msg, sizeof(msg), nullptr, 0);
  return out;
}

Secret random_secret() {
  Secret s;
  randombytes_buf(s.data(), s.size());
  return s;
}

struct ClientSecrets {
  Secret mask_sk, mask_pk;        // (s_u^SK, s_u^PK): pairwise-mask key agreement
  Secret channel_sk, channel_pk;  // (c_u^SK, c_u^PK): share encryption (counted only)
  Secret self_seed;               // b_u
};

// X25519 agreement, then BLAKE2b over the shared point and both public keys in a fixed order, so
// both ends get the same 32-byte seed (as libsodium's crypto_kx does).
Secret agree(const Secret& sk, const Secret& own_pk, const Secret& peer_pk) {
  unsigned char q[crypto_scalarmult_BYTES];
  if (crypto_scalarmult(q, sk.data(), peer_pk.data()) != 0)
    throw std::runtime_error("secagg: X25519 agreement with a low-order public key");
  const bool own_first = std::memcmp(own_pk.data(), peer_pk.data(), 32) < 0;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, q, sizeof(q));
  crypto_generichash_update(&st, (own_first ? own_pk : peer_pk).data(), 32);
  crypto_generichash_update(&st, (own_first ? peer_pk : own_pk).data(), 32);
  Secret seed;
  crypto_generichash_final(&st, seed.data(), seed.size());
  return seed;
}

// Smallest b with x <= 2^(b-1) - 1 (the bits a signed sum of magnitude x needs).
int bits_for(double x) {
  int b = 2;
  while (b < 200 && x > std::ldexp(1.0, b - 1) - 1) ++b;
  return b;
}

double expected_contributors(const SecAggSettings& s, int n) {
  return std::max(1.0, n * (1 - s.dropout[kBeforeMasking]) * (1 - s.dropout[kAfterMasking]));
}

// The noise std of the cohort's sum in integer units when all n clients contribute, per unit
// scale (the per-client variance is sized for the expected number of contributors).
double noise_sum_sigma_per_scale(const SecAggSettings& s, int n) {
  return s.dp_stddev * std::sqrt(double(n) / expected_contributors(s, n));
}

const auto fmt = format_g;

}  // namespace

const char* drop_stage_name(int stage) {
  static const char* names[] = {"before_masking", "after_masking", "before_unmasking"};
  return stage >= 0 && stage < kDropStages ? names[stage] : "?";
}

const char* protocol_round_name(int round) {
  static const char* names[] = {"advertise_keys", "share_keys", "masked_input", "unmasking"};
  return round >= 0 && round < kProtocolRounds ? names[round] : "?";
}

// --- settings ------------------------------------------------------------------------------------

std::string validate_secagg(const SecAggSettings& s, int n) {
  if (s.mode == SecAggMode::Off) return "";
  const bool plus = s.mode == SecAggMode::SecAggPlus;
  if (n < (plus ? 3 : 2))
    return std::string("secure aggregation") + (plus ? " (SecAgg+)" : "") + " needs at least " +
           (plus ? "3" : "2") + " clients in the cohort, got " + std::to_string(n);
  if (s.bits < 8 || s.bits > 32)
    return "secagg.bits = " + std::to_string(s.bits) + " is outside 8..32";
  if (!(s.clip > 0) || !std::isfinite(s.clip))
    return "secagg clip norm = " + fmt(s.clip) + " must be positive and finite";
  if (!(s.scale >= 0) || !std::isfinite(s.scale))
    return "secagg.scale = " + fmt(s.scale) + " must be >= 0 (0: automatic) and finite";
  for (int st = 0; st < kDropStages; ++st)
    if (!(s.dropout[size_t(st)] >= 0 && s.dropout[size_t(st)] < 1))
      return std::string("secagg dropout rate ") + drop_stage_name(st) + " = " +
             fmt(s.dropout[size_t(st)]) + " must be in [0, 1)";
  if (!(s.dp_stddev >= 0) || !std::isfinite(s.dp_stddev))
    return "secagg.distributed_dp noise stddev = " + fmt(s.dp_stddev) + " must be >= 0 and finite";

  int k = n - 1;
  if (plus) {
    if (s.neighbours != 0) {
      if (s.neighbours % 2 != 0)
        return "secagg.neighbours = " + std::to_string(s.neighbours) +
               " must be even (the neighbour graph is k-regular on a ring)";
      if (s.neighbours < 2 || s.neighbours > n - 1)
        return "secagg.neighbours = " + std::to_string(s.neighbours) + " must be in 2.." +
               std::to_string(n - 1) + " for a cohort of " + std::to_string(n);
      k = s.neighbours;
    } else {
      k = std::max(2, int(std::ceil(std::log2(double(n)))));
      k += k % 2;
      if (k > n - 1) k = (n - 1) % 2 ? n - 2 : n - 1;
    }
  }
  const int holders = plus ? k : n;
  if (s.threshold != 0) {
    if (s.threshold > holders)
      return plus ? "secagg.threshold = " + std::to_string(s.threshold) +
                        " is above the number of neighbours k = " + std::to_string(k) +
                        " (SecAgg+ shares each secret among a client's neighbours)"
                  : "secagg.threshold = " + std::to_string(s.threshold) +
                        " is above the cohort size " + std::to_string(n);
    if (s.threshold < 2)
      return "secagg.threshold = " + std::to_string(s.threshold) +
             " must be at least 2 (with 1, every single share reveals the secret)";
  }

  // Bit budget: n clients each contribute at most clip * scale + 1 after rounding, plus the noise
  // tail; the signed sum must stay in [-2^(b-1), 2^(b-1)).
  const double room = std::ldexp(1.0, s.bits - 1) - 1;
  const double noise = kNoiseTail * noise_sum_sigma_per_scale(s, n);
  if (s.scale == 0) {
    if (double(n) >= room)
      return "secagg.bits = " + std::to_string(s.bits) + " is too few for a cohort of " +
             std::to_string(n) + ": the largest sum of " + std::to_string(n) +
             " rounded values needs at least " + std::to_string(bits_for(2.0 * n)) + " bits";
  } else if (!s.allow_wraparound) {
    const double max_sum = n * (s.clip * s.scale + 1) + noise * s.scale;
    if (max_sum > room)
      return "secagg.bits = " + std::to_string(s.bits) +
             " is too few for the cohort's largest sum: " + std::to_string(n) +
             " clients x (clip " + fmt(s.clip) + " x scale " + fmt(s.scale) + " + 1)" +
             (noise > 0 ? " + noise tail" : "") + " = " + fmt(max_sum) + " needs " +
             std::to_string(bits_for(max_sum)) +
             " bits; lower secagg.scale, raise secagg.bits or allow wrap-around";
  }
  if (s.dp_stddev > 0) {
    const double scale = s.scale > 0 ? s.scale : (room - n) / (n * s.clip + noise);
    const double sigma2 = std::pow(s.dp_stddev * scale, 2) / expected_contributors(s, n);
    if (sigma2 > 0x1p56)
      return "secagg distributed DP: the per-client noise variance " + fmt(sigma2) +
             " (integer units) is above 2^56; lower secagg.scale or the noise";
    if (sigma2 < 1e-6)
      return "secagg distributed DP: the per-client noise variance " + fmt(sigma2) +
             " (integer units) is below 1e-6: the noise would vanish in the rounding; raise "
             "secagg.scale or secagg.bits";
  }
  return "";
}

SecAggPlan plan_secagg(const SecAggSettings& s, int n) {
  if (const std::string err = validate_secagg(s, n); !err.empty()) throw std::invalid_argument(err);
  SecAggPlan p;
  p.cohort = n;
  if (s.mode == SecAggMode::Off) return p;
  const bool plus = s.mode == SecAggMode::SecAggPlus;
  p.neighbours = n - 1;
  if (plus) {
    if (s.neighbours) {
      p.neighbours = s.neighbours;
    } else {
      int k = std::max(2, int(std::ceil(std::log2(double(n)))));
      k += k % 2;
      if (k > n - 1) k = (n - 1) % 2 ? n - 2 : n - 1;
      p.neighbours = k;
    }
  }
  const int holders = plus ? p.neighbours : n;
  p.threshold = s.threshold ? s.threshold : holders / 2 + 1;
  const double room = std::ldexp(1.0, s.bits - 1) - 1;
  const double noise = kNoiseTail * noise_sum_sigma_per_scale(s, n);
  p.scale = s.scale > 0 ? s.scale : (room - n) / (n * s.clip + noise);
  if (s.dp_stddev > 0)
    p.client_noise_sigma2 = std::pow(s.dp_stddev * p.scale, 2) / expected_contributors(s, n);
  return p;
}

// --- the neighbour graph -------------------------------------------------------------------------

std::vector<std::vector<int>> neighbour_graph(int n, int k, uint64_t seed, uint32_t round) {
  if (k < 1 || k > n - 1 || (k % 2 && k != n - 1))
    throw std::invalid_argument("neighbour_graph: need k even in 2..n-1, or k = n-1");
  std::vector<std::vector<int>> nb(static_cast<size_t>(n));
  if (k == n - 1) {
    for (int u = 0; u < n; ++u)
      for (int v = 0; v < n; ++v)
        if (v != u) nb[size_t(u)].push_back(v);
    return nb;
  }
  // Fisher-Yates with exactly uniform draws (rejection), from the (seed, round) stream.
  std::vector<int> ring(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ring[size_t(i)] = i;
  PhiloxBits bits(noise_key(seed, kPurposeGraph), round, 0, 0);
  for (int i = n - 1; i > 0; --i) {
    const uint64_t m = uint64_t(i) + 1, limit = UINT64_MAX - (UINT64_MAX % m + 1) % m;
    uint64_t x;
    do x = bits.next_u64();
    while (x > limit);
    std::swap(ring[size_t(i)], ring[size_t(x % m)]);
  }
  for (int i = 0; i < n; ++i)
    for (int d = 1; d <= k / 2; ++d) {
      const int u = ring[size_t(i)], v = ring[size_t((i + d) % n)];
      nb[size_t(u)].push_back(v);
      nb[size_t(v)].push_back(u);
    }
  for (auto& l : nb) std::sort(l.begin(), l.end());
  return nb;
}

// --- one round -----------------------------------------------------------------------------------

SecAggRoundResult run_secagg_round(const SecAggSettings& s, const SecAggRoundInput& in) {
  if (s.mode == SecAggMode::Off) throw std::invalid_argument("run_secagg_round: secagg is off");
  const int n = in.clients;
  const int64_t P = in.params;
  if (!in.updates || P < 1) throw std::invalid_argument("run_secagg_round: no updates");
  if (!in.client_ids.empty() && int(in.client_ids.size()) != n)
    throw std::invalid_argument("run_secagg_round: client_ids must have one id per client");
  if (!in.forced_dropout.empty() && int(in.forced_dropout.size()) != n)
    throw std::invalid_argument("run_secagg_round: forced_dropout must have one entry per client");
  if (P >= (int64_t(1) << 34)) throw std::invalid_argument("run_secagg_round: P >= 2^34");
  sodium_ready();

  SecAggRoundResult res;
  res.plan = plan_secagg(s, n);
  const SecAggPlan& plan = res.plan;
  const bool plus = s.mode == SecAggMode::SecAggPlus;
  const int t = plan.threshold;
  const uint32_t bmask = s.bits == 32 ? 0xFFFFFFFFu : (1u << s.bits) - 1;
  auto id_of = [&](int u) {
    return in.client_ids.empty() ? uint32_t(u) : in.client_ids[size_t(u)];
  };
  SecAggCosts& c = res.costs;
  c.bytes_sent.assign(size_t(n), {});
  c.bytes_received.assign(size_t(n), {});
  c.prg_words.assign(size_t(n), 0);
  c.key_agreements.assign(size_t(n), 0);
  c.shares_created.assign(size_t(n), 0);

  // Dropouts: where each client leaves (kDropStages: stays to the end).
  std::vector<int> drop(size_t(n), kDropStages);
  const NoiseKey drop_key = noise_key(in.seed, kPurposeDropout);
  for (int u = 0; u < n; ++u) {
    if (!in.forced_dropout.empty()) {
      const int f = in.forced_dropout[size_t(u)];
      if (f >= 0 && f < kDropStages) drop[size_t(u)] = f;
      continue;
    }
    for (int st = 0; st < kDropStages; ++st)
      if (philox_uniform(drop_key, in.round, id_of(u), uint32_t(st), 0) < s.dropout[size_t(st)]) {
        drop[size_t(u)] = st;
        break;
      }
  }
  for (int u = 0; u < n; ++u)
    if (drop[size_t(u)] < kDropStages) res.dropouts[size_t(drop[size_t(u)])]++;
  // U2: sent shares; U3: masked input arrived; U5: sent unmasking shares.
  auto in_u2 = [&](int u) { return drop[size_t(u)] > kBeforeMasking; };
  auto in_u3 = [&](int u) { return drop[size_t(u)] > kAfterMasking; };
  auto in_u5 = [&](int u) { return drop[size_t(u)] > kBeforeUnmasking; };

  // The graph: N(u); holders(u): those who get u's shares (SecAgg: everyone, u included, as in
  // Bonawitz et al.; SecAgg+: the k neighbours, Bell et al.).
  const auto nb = neighbour_graph(n, plan.neighbours, in.seed, in.round);
  auto holds = [&](int h, int v) {  // does h hold v's shares? and at which index
    if (!plus) return h;
    const auto& l = nb[size_t(v)];
    const auto it = std::lower_bound(l.begin(), l.end(), h);
    return it != l.end() && *it == h ? int(it - l.begin()) : -1;
  };
  auto holders_of = [&](int v) { return plus ? int(nb[size_t(v)].size()) : n; };

  // --- Round 0, AdvertiseKeys: every client makes two key pairs and its self-mask seed ----------
  const auto t_clients = std::chrono::steady_clock::now();
  const Secret run_key = make_run_key(in.seed);
  std::vector<ClientSecrets> sec(static_cast<size_t>(n));
#pragma omp parallel for schedule(static)
  for (int u = 0; u < n; ++u) {
    ClientSecrets& cs = sec[size_t(u)];
    const uint32_t id = id_of(u);
    cs.mask_sk = s.deterministic ? derive(run_key, in.round, id, kDeriveMaskKey) : random_secret();
    cs.channel_sk =
        s.deterministic ? derive(run_key, in.round, id, kDeriveChannelKey) : random_secret();
    cs.self_seed =
        s.deterministic ? derive(run_key, in.round, id, kDeriveSelfSeed) : random_secret();
    crypto_scalarmult_base(cs.mask_pk.data(), cs.mask_sk.data());
    crypto_scalarmult_base(cs.channel_pk.data(), cs.channel_sk.data());
  }
  for (int u = 0; u < n; ++u) {
    const uint64_t deg = uint64_t(nb[size_t(u)].size());
    c.bytes_sent[size_t(u)][kAdvertiseKeys] = 2 * kPublicKeyBytes;
    c.bytes_received[size_t(u)][kAdvertiseKeys] = deg * (kIdBytes + 2 * kPublicKeyBytes);
  }

  // --- Round 1, ShareKeys: t-of-holders shares of s_u^SK and b_u --------------------------------
  std::vector<std::vector<Share>> share_sk(static_cast<size_t>(n)), share_b(static_cast<size_t>(n));
#pragma omp parallel for schedule(dynamic)
  for (int u = 0; u < n; ++u) {
    if (!in_u2(u)) continue;
    const Secret shamir_key =
        s.deterministic ? derive(run_key, in.round, id_of(u), kDeriveShamir) : random_secret();
    uint64_t call = 0;
    auto coeff_bytes = [&](uint8_t* out, size_t len) {
      if (!s.deterministic) return randombytes_buf(out, len);
      unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];
      std::memcpy(nonce, &call, sizeof(nonce));
      ++call;
      crypto_stream_chacha20(out, len, nonce, shamir_key.data());
    };
    const int h = holders_of(u);
    auto sk = shamir_share(sec[size_t(u)].mask_sk, h, t, coeff_bytes);
    auto b = shamir_share(sec[size_t(u)].self_seed, h, t, coeff_bytes);
    // holder i (u's i-th neighbour, or cohort position i in SecAgg) gets the share at x = i + 1
    share_sk[size_t(u)] = std::move(sk);
    share_b[size_t(u)] = std::move(b);
  }
  int n2 = 0, n3 = 0, n5 = 0;
  for (int u = 0; u < n; ++u) n2 += in_u2(u), n3 += in_u3(u), n5 += in_u5(u);
  for (int u = 0; u < n; ++u) {
    if (!in_u2(u)) continue;
    const uint64_t out = uint64_t(holders_of(u) - (plus ? 0 : 1));  // its own share stays home
    c.bytes_sent[size_t(u)][kShareKeys] = out * kEncryptedShares;
    c.shares_created[size_t(u)] = uint32_t(2 * holders_of(u));
    uint64_t incoming = 0;
    for (int v : nb[size_t(u)]) incoming += in_u2(v) && holds(u, v) >= 0;
    c.bytes_received[size_t(u)][kShareKeys] = incoming * kEncryptedShares;
  }
  auto abort_round = [&](std::string why) {
    res.aborted = true;
    res.abort_reason = std::move(why);
    res.included.clear();
  };

  // --- Round 2, MaskedInputCollection ------------------------------------------------------------
  const uint64_t masked_bytes = (uint64_t(P) * uint64_t(s.bits) + 7) / 8;
  if (n2 < t) {
    abort_round(
        "only " + std::to_string(n2) +
        " clients sent their shares (ShareKeys), below the threshold t = " + std::to_string(t));
  }
  for (int u = 0; u < n && !res.aborted; ++u) {
    if (!in_u2(u)) continue;
    uint64_t live = 0;
    for (int v : nb[size_t(u)]) live += in_u2(v);
    c.bytes_received[size_t(u)][kMaskedInput] = live * kIdBytes;
    c.key_agreements[size_t(u)] = uint32_t(live);
    c.prg_words[size_t(u)] = uint64_t(P) * (live + 1);
    if (in_u3(u)) c.bytes_sent[size_t(u)][kMaskedInput] = masked_bytes;
  }
  if (!res.aborted && n3 < t)
    abort_round(
        "only " + std::to_string(n3) +
        " masked inputs reached the server (MaskedInputCollection), below the threshold t = " +
        std::to_string(t));

  // --- Round 4, Unmasking: which secrets the server can reconstruct ------------------------------
  // (decided before any arithmetic, so an aborted round skips the mask expansion; its cost is
  // charged above all the same)
  if (!res.aborted) {
    for (int u = 0; u < n; ++u) {
      if (!in_u3(u)) continue;
      uint64_t listed = 0, shares_out = 0;
      for (int v : nb[size_t(u)]) listed += in_u3(v);
      if (in_u5(u)) {  // one share for each client of U2 whose shares u holds
        if (plus) {
          for (int v : nb[size_t(u)]) shares_out += in_u2(v);
        } else {
          shares_out = uint64_t(n2);
        }
      }
      c.bytes_received[size_t(u)][kUnmasking] = (listed + 1) * kIdBytes;
      c.bytes_sent[size_t(u)][kUnmasking] = shares_out * (kIdBytes + kShareBytes);
    }
    if (n5 < t)
      abort_round(
          "only " + std::to_string(n5) +
          " clients answered the unmasking request, below the threshold t = " + std::to_string(t));
  }
  if (!res.aborted)
    for (int v = 0; v < n && !res.aborted; ++v) {
      if (!in_u2(v)) continue;
      int avail = 0;
      if (plus) {
        for (int h : nb[size_t(v)]) avail += in_u5(h);
      } else {
        avail = n5;
      }
      if (avail < t)
        abort_round("the server cannot reconstruct client " + std::to_string(id_of(v)) + "'s " +
                    (in_u3(v) ? "self-mask seed" : "key-agreement secret") + ": " +
                    std::to_string(avail) +
                    " surviving holders, below the threshold t = " + std::to_string(t));
    }
  for (int r = 0; r < kProtocolRounds; ++r)
    for (int u = 0; u < n; ++u) {
      c.server_bytes_received[size_t(r)] += c.bytes_sent[size_t(u)][size_t(r)];
      c.server_bytes_sent[size_t(r)] += c.bytes_received[size_t(u)][size_t(r)];
    }
  if (res.aborted) {
    c.client_seconds = seconds_since(t_clients);
    return res;
  }
  for (int u = 0; u < n; ++u)
    if (in_u3(u)) res.included.push_back(u);

  // --- clients: quantise and mask; the server sums the masked inputs (mod 2^32) -----------------
  // Each client u of U3 first agrees its pairwise seeds and clips; then the work runs over tiles of
  // kTile coordinates (each thread owns whole tiles, so the sums stay in cache and need no
  // merging): for each tile, every client's quantised, masked tile y_u is added to the server's
  // sum z. Instrumentation beside the protocol: the true integer sum, the float sum of the clipped
  // updates and the DP noise sum, for the exactness check, wrap-arounds and the MSE.
  const size_t Pz = size_t(P);
  constexpr size_t kTile = 4096;  // words; a multiple of 64; also the DP noise streams' unit
  const int n_in = int(res.included.size());
  struct Mask {
    Secret seed;
    bool subtract;
  };
  std::vector<std::vector<Mask>> masks(static_cast<size_t>(n_in));
  std::vector<double> clip_factor(static_cast<size_t>(n_in));
#pragma omp parallel for schedule(dynamic)
  for (int iu = 0; iu < n_in; ++iu) {
    const int u = res.included[size_t(iu)];
    // y_u = x_u + PRG(b_u) + sum_v Delta_uv PRG(s_uv), Delta_uv = +1 if u > v else -1
    // (Bonawitz et al. 2017, Section 4, MaskedInputCollection)
    auto& m = masks[size_t(iu)];
    m.push_back({sec[size_t(u)].self_seed, false});
    for (int v : nb[size_t(u)])
      if (in_u2(v))
        m.push_back(
            {agree(sec[size_t(u)].mask_sk, sec[size_t(u)].mask_pk, sec[size_t(v)].mask_pk), u < v});
    const float* x = in.updates + size_t(u) * Pz;
    double norm2 = 0;
    for (size_t j = 0; j < Pz; ++j) norm2 += double(x[j]) * x[j];
    clip_factor[size_t(iu)] = norm2 > s.clip * s.clip ? s.clip / std::sqrt(norm2) : 1.0;
  }
  std::vector<uint32_t> z(Pz, 0);
  std::vector<int64_t> true_sum(Pz, 0), noise_sum;
  std::vector<double> float_sum(Pz, 0.0);
  const bool dp = plan.client_noise_sigma2 > 0;
  if (dp) noise_sum.assign(Pz, 0);
  const RationalSigma2 sigma2 = dp ? rational_sigma2(plan.client_noise_sigma2) : RationalSigma2{};
  const NoiseKey round_key = noise_key(in.seed, kPurposeRounding);
  const NoiseKey dp_key = noise_key(in.seed, kPurposeDpNoise);
  const double scale = plan.scale;
  const int64_t tiles = int64_t((Pz + kTile - 1) / kTile);
#pragma omp parallel
  {
    std::vector<uint32_t> y(kTile), rnd(kTile), scratch;
#pragma omp for schedule(dynamic)
    for (int64_t tile = 0; tile < tiles; ++tile) {
      const size_t j0 = size_t(tile) * kTile, len = std::min(kTile, Pz - j0);
      uint32_t* zt = z.data() + j0;
      int64_t* tt = true_sum.data() + j0;
      double* ft = float_sum.data() + j0;
      for (int iu = 0; iu < n_in; ++iu) {
        const int u = res.included[size_t(iu)];
        const uint32_t id = id_of(u);
        const float* x = in.updates + size_t(u) * Pz + j0;
        const double f = clip_factor[size_t(iu)];
        // scale and round stochastically: floor(v) + Bernoulli(v - floor(v)), unbiased (Kairouz
        // et al. 2021, Section 4.1, without the random rotation); the uniforms are words of the
        // client's Philox stream (key: seed, rounding; counter: round, client id)
        philox_words({round_key.k0, round_key.k1, in.round, id, 0}, j0, len, rnd.data());
        if (dp) {
          PhiloxBits noise_bits(dp_key, in.round, id, uint32_t(tile));
          int64_t* nt = noise_sum.data() + j0;
          for (size_t j = 0; j < len; ++j) {
            const double xc = double(x[j]) * f, v = xc * scale, fl = std::floor(v);
            const int64_t e = sample_discrete_gaussian(sigma2, noise_bits);
            const int64_t q = int64_t(fl) + (double(rnd[j]) * 0x1.0p-32 < v - fl) + e;
            nt[j] += e;
            tt[j] += q;
            ft[j] += xc;
            y[j] = uint32_t(q);  // q mod 2^32
          }
        } else {
          for (size_t j = 0; j < len; ++j) {
            const double xc = double(x[j]) * f, v = xc * scale, fl = std::floor(v);
            const int64_t q = int64_t(fl) + (double(rnd[j]) * 0x1.0p-32 < v - fl);
            tt[j] += q;
            ft[j] += xc;
            y[j] = uint32_t(q);
          }
        }
        for (const Mask& m : masks[size_t(iu)])
          add_mask(s.prg, m.seed, m.subtract, y.data(), len, scratch, j0);
        for (size_t j = 0; j < len; ++j) zt[j] += y[j];  // the server's running sum
      }
    }
  }
  c.client_seconds = seconds_since(t_clients);

  // --- server: reconstruct and unmask
  // -------------------------------------------------------------- z - sum_{u in U3} PRG(b_u) -
  // sum_{v in U2 \ U3} sum_{u in U3, u in N(v)} Delta_uv PRG(s_uv): every mask left in the sum
  // removed (Bonawitz et al. 2017, Section 4, Unmasking).
  const auto t_server = std::chrono::steady_clock::now();
  struct Task {
    Secret seed;
    bool subtract;
    int owner;  // dropped client whose secret key is needed (-1: self mask)
    int peer;
  };
  std::vector<Task> tasks;
  std::vector<Secret> sk_rec(static_cast<size_t>(n)), pk_rec(static_cast<size_t>(n));
  for (int v = 0; v < n; ++v) {
    if (!in_u2(v)) continue;
    // The shares of the surviving holders: of b_v if v's input arrived, else of s_v^SK (never
    // both for one client).
    std::vector<Share> got;
    const auto& pool = in_u3(v) ? share_b[size_t(v)] : share_sk[size_t(v)];
    if (plus) {
      const auto& l = nb[size_t(v)];
      for (size_t i = 0; i < l.size(); ++i)
        if (in_u5(l[i])) got.push_back(pool[i]);
    } else {
      for (int h = 0; h < n; ++h)
        if (in_u5(h)) got.push_back(pool[size_t(h)]);
    }
    const auto secret = shamir_reconstruct(got, t);
    ++c.shamir_reconstructions;
    const Secret& truth = in_u3(v) ? sec[size_t(v)].self_seed : sec[size_t(v)].mask_sk;
    if (!secret || *secret != truth)
      throw std::logic_error("secagg: Shamir reconstruction returned the wrong secret");
    if (in_u3(v)) {
      tasks.push_back({*secret, true, -1, v});
    } else {
      sk_rec[size_t(v)] = *secret;
      crypto_scalarmult_base(pk_rec[size_t(v)].data(), secret->data());
      for (int u : nb[size_t(v)])
        if (in_u3(u)) tasks.push_back({{}, u > v, v, u});
    }
  }
  if (s.prg == MaskPrg::Philox && in.mask_backend) {
    // Fast mode on a backend: the keys of every mask left in the sum (a dropped client's pairwise
    // seeds by the server's key agreement), then one pass that adds them all.
    std::vector<PhiloxMaskKey> keys(tasks.size());
    std::vector<uint8_t> subtract(tasks.size());
    uint64_t agreements = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : agreements)
    for (size_t i = 0; i < tasks.size(); ++i) {
      const Task& tk = tasks[i];
      if (tk.owner < 0) {
        keys[i] = philox_mask_key(tk.seed);
      } else {
        keys[i] = philox_mask_key(agree(sk_rec[size_t(tk.owner)], pk_rec[size_t(tk.owner)],
                                        sec[size_t(tk.peer)].mask_pk));
        ++agreements;
      }
      subtract[i] = tk.subtract ? 1 : 0;
    }
    c.server_key_agreements += agreements;
    Backend& be = *in.mask_backend;
    DeviceBuffer<uint32_t> acc(be, Pz);  // zeroed
    be.add_philox_masks(acc.get(), Pz, keys.data(), subtract.data(), int(tasks.size()));
    std::vector<uint32_t> removed(Pz);
    acc.download(removed.data(), Pz);
    for (size_t j = 0; j < Pz; ++j) z[j] += removed[j];
  } else {
#pragma omp parallel
    {
      std::vector<uint32_t> acc(Pz, 0), scratch;
      uint64_t agreements = 0;
#pragma omp for schedule(dynamic)
      for (size_t i = 0; i < tasks.size(); ++i) {
        const Task& tk = tasks[i];
        if (tk.owner < 0) {
          add_mask(s.prg, tk.seed, tk.subtract, acc.data(), Pz, scratch);
        } else {
          // the server recomputes s_{v,u} from the reconstructed s_v^SK and u's public key
          const Secret suv = agree(sk_rec[size_t(tk.owner)], pk_rec[size_t(tk.owner)],
                                   sec[size_t(tk.peer)].mask_pk);
          ++agreements;
          add_mask(s.prg, suv, tk.subtract, acc.data(), Pz, scratch);
        }
      }
#pragma omp critical
      {
        for (size_t j = 0; j < Pz; ++j) z[j] += acc[j];
        c.server_key_agreements += agreements;
      }
    }
  }
  c.server_prg_words = uint64_t(tasks.size()) * uint64_t(P);
  for (auto& w : z) w &= bmask;
  c.server_seconds = seconds_since(t_server);

  // --- check, decode, measure
  // ----------------------------------------------------------------------
  const int64_t half = int64_t(1) << (s.bits - 1), modulus = int64_t(1) << s.bits;
  res.aggregate.resize(Pz);
  double qerr = 0, terr = 0;
  for (size_t j = 0; j < Pz; ++j) {
    if (z[j] != (uint32_t(uint64_t(true_sum[j])) & bmask))
      throw std::logic_error(
          "secagg: the unmasked sum differs from the plain quantised sum at "
          "coordinate " +
          std::to_string(j));
    const int64_t d = int64_t(z[j]) >= half ? int64_t(z[j]) - modulus : int64_t(z[j]);
    res.wraparounds += d != true_sum[j];
    const double agg = double(d) / scale;
    res.aggregate[j] = float(agg);
    const double e_noise = dp ? double(noise_sum[j]) / scale : 0.0;
    qerr += (agg - e_noise - float_sum[j]) * (agg - e_noise - float_sum[j]);
    terr += (agg - float_sum[j]) * (agg - float_sum[j]);
  }
  res.verified = true;
  res.quantisation_mse = qerr / double(P);
  res.total_mse = terr / double(P);
  res.modular_sum = std::move(z);
  if (dp) {
    res.dp_noise_variance_target = s.dp_stddev * s.dp_stddev;
    res.dp_noise_variance_survived =
        double(n_in) * discrete_gaussian_variance(sigma2.value()) / (scale * scale);
  }
  return res;
}

}  // namespace fedsim::secagg
