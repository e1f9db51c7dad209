// Seeds a data folder for the benchmarks: the three demo organisations, one advisor of
// De Haven with TOTP enrolled, and N conversations in De Haven's inbox (metadata and
// sealed first messages, inserted through the Store in bulk). Prints the advisor's password
// and TOTP secret on standard output as "SECRET PASSWORD" (the password has spaces).

#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/runtime.h"
#include "crypto/crypto.h"

int main(int argc, char** argv) {
  using namespace vd;
  if (argc < 3) {
    std::fprintf(stderr, "usage: vd_bench_seed CONFIG.toml N\n");
    return 2;
  }
  Config config = DefaultConfig();
  if (auto s = ApplyTomlFile(argv[1], config); !s) {
    std::fprintf(stderr, "%s\n", s.error().detail.c_str());
    return 1;
  }
  const long n = std::strtol(argv[2], nullptr, 10);
  SystemClock clock;
  auto rt = Runtime::Open(config, clock);
  if (!rt) {
    std::fprintf(stderr, "%s\n", rt.error().detail.c_str());
    return 1;
  }
  Runtime& r = **rt;
  for (const char* slug : {"independent", "shop", "dehaven"}) (void)r.staff().CreateOrganisation(slug, slug);
  NewUser u{"bench.advisor", "bench password 1234", Role::kAdvisor, "dehaven", true, std::nullopt};
  auto created = r.staff().CreateUser(u);
  if (!created) {
    std::fprintf(stderr, "%s\n", created.error().detail.c_str());
    return 1;
  }
  Store& store = r.store();
  auto org = store.Read("bench organisation", [&](Tx& tx) {
    return store.staff().FindOrganisationBySlug(tx, "dehaven");
  });
  auto org_pk = Base64Decode(org->public_key);
  const int64_t now = clock.Now();
  for (long i = 0; i < n; ++i) {
    KeyPair k = GenerateKeyPair();
    Conversation c;
    c.public_id = RandomToken(12);
    c.receipt_lookup = RandomToken(32);  // not a real receipt: the inbox never uses it
    c.organisation_id = org->id;
    c.public_key = Base64Encode(k.public_key);
    c.receipt_wrapped_secret_key = "x";
    // Made under the current parameters: a row without them would be adopted as a legacy
    // generation at the server's start, and every receipt open would then pay for two hashes.
    c.receipt_kdf = KdfText(KdfParams{config.pwhash, true});
    c.org_sealed_secret_key = SealTo(*org_pk, k.secret_key.view());
    c.status = i % 3 == 0 ? ConversationStatus::kNew : (i % 3 == 1 ? ConversationStatus::kWaiting
                                                                    : ConversationStatus::kAnswered);
    c.language = "nl";
    c.created_at = c.last_activity_at = now - i * 60;
    c.expires_at = now + 90 * 86400;
    Message m;
    m.ciphertext = SealTo(k.public_key, "synthetic benchmark message");
    m.created_at = c.created_at;
    if (auto id = store.Write("bench conversation",
                              [&](Tx& tx) { return store.conversations().Insert(tx, c, m); });
        !id) {
      std::fprintf(stderr, "%s\n", id.error().detail.c_str());
      return 1;
    }
  }
  std::printf("%s %s\n", created->totp_base32.c_str(), u.password.c_str());
  return 0;
}
