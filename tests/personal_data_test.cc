// Personal data sealed per customer and erased by destroying its key, over a
// real store and a real keys database: the log holds only ciphertext, the
// customer ref is keyed, an erasure leaves the name and phone nowhere on
// disk while the chain still verifies, and a restart destroys a key whose
// erasure was recorded but not carried out.
#include "app/personal_data.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "app/complaint_app.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/complaint/builders.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"
#include "ledger/store/verify.h"
#include "tests/test_util.h"

namespace ledger::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kName[] = "Ouyang Xiaoming";
constexpr char kPhone[] = "13912345678";
constexpr char kAddress[] = "88 Qingnian Road, Flat 1203";

SiteKeys TestKeys() {
  return SiteKeys{std::string(32, '\x11'), std::string(32, '\x22')};
}

// Every file under `dir` that holds `needle`, raw bytes.
std::vector<std::string> FilesHolding(const std::string& dir,
                                      const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (absl::StrContains(bytes.str(), needle)) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

class PersonalDataTest : public ::testing::Test {
 protected:
  PersonalDataTest() {
    absl::TimeZone shanghai;
    EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
    clock_ = std::make_shared<FakeClock>(
        absl::FromCivil(absl::CivilMinute(2026, 11, 18, 10, 0), shanghai));
    Open();
    for (auto [id, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                            std::pair{"a17", v1::ROLE_AGENT}}) {
      EXPECT_TRUE(app_->Execute(build::Agent(id, {role}), "h1").ok());
    }
  }

  void Open() {
    app_.reset();
    store_.reset();
    personal_.reset();
    auto personal = PersonalData::Open(dir_.Sub("keys"), TestKeys());
    ASSERT_TRUE(personal.ok()) << personal.status();
    personal_ = std::shared_ptr<PersonalData>(std::move(*personal));
    EventStoreOptions options;
    options.clock = clock_;
    PersonalData* keys = personal_.get();
    options.before_commit = [keys] { return keys->SyncKeys(); };
    auto store = EventStore::Open(dir_.Sub("data"), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ComplaintAppOptions app_options;
    app_options.clock = clock_;
    app_options.personal_data = personal_;
    auto app = ComplaintApp::Create(store_.get(), app_options);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(*app);
  }

  v1::CommandResult Receive(const std::string& phone = kPhone) {
    v1::ReceiveComplaint intake = build::ComplaintIntake("", phone);
    intake.mutable_customer()->set_name(kName);
    intake.mutable_customer()->set_address(kAddress);
    auto result = app_->Execute(intake, "a17");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : v1::CommandResult();
  }

  v1::ComplaintReceived ReceivedOf(const std::string& complaint_id) {
    auto view = app_->Get(complaint_id);
    EXPECT_TRUE(view.ok()) << view.status();
    v1::ComplaintReceived received;
    EXPECT_TRUE(view.ok() &&
                received.ParseFromString(view->timeline(0).payload()));
    return received;
  }

  TempDir dir_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<PersonalData> personal_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintApp> app_;
};

TEST_F(PersonalDataTest, TheLogHoldsOnlyCiphertextUnderAKeyedRef) {
  const v1::CommandResult result = Receive();
  const std::string id = result.state().complaint_id();
  const v1::ComplaintReceived received = ReceivedOf(id);
  EXPECT_FALSE(received.has_customer());
  ASSERT_TRUE(received.has_sealed_customer());
  // Keyed: not the plain SHA-256 anyone can compute from a phone number.
  EXPECT_NE(received.customer_ref(), CustomerRef(kPhone));
  EXPECT_EQ(received.customer_ref(), personal_->CustomerRef(kPhone));
  EXPECT_EQ(result.state().customer_ref(), received.customer_ref());
  absl::StatusOr<v1::CustomerContact> contact =
      personal_->Unseal(received.sealed_customer());
  ASSERT_TRUE(contact.ok()) << contact.status();
  EXPECT_EQ(contact->name(), kName);
  EXPECT_EQ(contact->phone(), kPhone);
  // Nothing in clear anywhere the ledger writes.
  EXPECT_THAT(FilesHolding(dir_.path(), kName), ::testing::IsEmpty());
  EXPECT_THAT(FilesHolding(dir_.path(), kPhone), ::testing::IsEmpty());
  // A second complaint of the same customer: the same key, a repeat found.
  const v1::CommandResult again = Receive();
  EXPECT_EQ(again.state().customer_ref(), received.customer_ref());
  EXPECT_THAT(again.state().linked_complaint_ids(), ::testing::Contains(id));
}

TEST_F(PersonalDataTest, AnErasureLeavesTheDataNowhereAndTheChainWhole) {
  const std::string first = Receive().state().complaint_id();
  const std::string second = Receive().state().complaint_id();
  const std::string other = Receive("13700001111").state().complaint_id();
  const int history = app_->Get(first)->timeline_size();

  v1::EraseCustomerData erase;
  erase.set_complaint_id(second);
  erase.set_reason("The customer asked to be forgotten.");
  EXPECT_EQ(app_->Execute(erase, "a17").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto erased = app_->Execute(erase, "h1");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->state().customer_data_erased());

  // Both complaints of that customer are unreadable; the other customer's
  // is not.
  for (const std::string& id : {first, second}) {
    absl::StatusOr<v1::CustomerContact> gone =
        personal_->Unseal(ReceivedOf(id).sealed_customer());
    EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound) << id;
  }
  EXPECT_TRUE(personal_->Unseal(ReceivedOf(other).sealed_customer()).ok());
  // The history and the chain stay.
  EXPECT_EQ(app_->Get(first)->timeline_size(), history);
  const VerifyReport report = VerifyStore(*store_);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_verified, store_->log_head().position_last);
  // A second erasure of the same customer, through either complaint, is
  // refused, saying why.
  for (const std::string& id : {second, first}) {
    erase.set_complaint_id(id);
    absl::Status again = app_->Execute(erase, "h1").status();
    EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(again.message(), HasSubstr("already erased"));
  }
  EXPECT_THAT(FilesHolding(dir_.path(), kName), ::testing::IsEmpty());
  EXPECT_THAT(FilesHolding(dir_.path(), kPhone), ::testing::IsEmpty());
}

TEST_F(PersonalDataTest, ARestartDestroysAKeyWhoseErasureWasRecorded) {
  const std::string id = Receive().state().complaint_id();
  const std::string customer = ReceivedOf(id).customer_ref();
  // The erasure's event made durable by the store alone, as if ledgerd died
  // before destroying the key.
  v1::CustomerDataErased erased;
  erased.set_customer_ref(customer);
  erased.set_reason("test");
  erased.set_erased_by_agent_id("h1");
  const std::string key_id = personal_->CurrentKeyId(customer);
  erased.set_key_id(key_id);
  AppendRequest request;
  request.stream_id = ComplaintStream(id);
  ProposedEvent event;
  event.event_type = EventTypeOf<v1::CustomerDataErased>();
  event.payload = erased.SerializeAsString();
  event.actor = "h1";
  request.events.push_back(std::move(event));
  ASSERT_TRUE(store_->Append(std::move(request)).ok());
  ASSERT_TRUE(*personal_->HasKey(key_id));
  Open();
  EXPECT_FALSE(*personal_->HasKey(key_id));
  EXPECT_EQ(personal_->Unseal(ReceivedOf(id).sealed_customer()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PersonalDataTest, ACustomerWhoComesBackAfterAnErasureKeepsTheNewData) {
  const std::string before = Receive().state().complaint_id();
  v1::EraseCustomerData erase;
  erase.set_complaint_id(before);
  erase.set_reason("Asked to be forgotten.");
  ASSERT_TRUE(app_->Execute(erase, "h1").ok());
  // The same phone again, months later: a key of the next generation.
  const std::string after = Receive().state().complaint_id();
  const v1::SealedPersonalData sealed = ReceivedOf(after).sealed_customer();
  EXPECT_THAT(sealed.key_id(), ::testing::EndsWith("#2"));
  ASSERT_TRUE(personal_->Unseal(sealed).ok());
  // A restart repairs erasures whose key outlived them: not this one, whose
  // key is another.
  Open();
  absl::StatusOr<v1::CustomerContact> kept = personal_->Unseal(sealed);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->name(), kName);
  EXPECT_EQ(
      personal_->Unseal(ReceivedOf(before).sealed_customer()).status().code(),
      absl::StatusCode::kNotFound);
}

// The nodes' shared keys as NatsLog's keys stream keeps them (the real one
// is tested with nats-server processes in ledgerd_nats_test): the first key
// stored under an id is everyone's, an erased id keeps a tombstone and is
// never made again; it can be told to refuse erasures (NATS unreachable).
class SharedKeys : public KeyReplica {
 public:
  absl::StatusOr<std::string> Create(const std::string& key_id,
                                     const std::string& wrapped) override {
    absl::MutexLock lock(&mu_);
    ++creates;
    auto [it, made] = keys_.emplace(key_id, wrapped);
    if (it->second.empty()) {
      return absl::FailedPreconditionError(key_id + " was erased");
    }
    return it->second;
  }
  absl::StatusOr<std::optional<std::string>> Read(
      const std::string& key_id) const override {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(key_id);
    if (it == keys_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }
  absl::Status Erase(const std::string& key_id) override {
    absl::MutexLock lock(&mu_);
    if (refuse_erasures) return absl::UnavailableError("no NATS");
    keys_[key_id] = "";
    return absl::OkStatus();
  }
  bool Holds(const std::string& key_id) const {
    return Read(key_id).value_or(std::nullopt).has_value();
  }
  bool refuse_erasures = false;
  int creates = 0;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> keys_;
};

v1::CustomerContact Contact() {
  v1::CustomerContact contact;
  contact.set_name(kName);
  contact.set_phone(kPhone);
  return contact;
}

TEST(SharedKeysTest, WhatOneNodeSealsAnotherOpensUntilEitherErasesIt) {
  TempDir dir;
  auto shared = std::make_shared<SharedKeys>();
  auto a = PersonalData::Open(dir.Sub("a"), TestKeys());
  auto b = PersonalData::Open(dir.Sub("b"), TestKeys());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->ShareKeys(shared).ok());
  ASSERT_TRUE((*b)->ShareKeys(shared).ok());
  const std::string ref = (*a)->CustomerRef(kPhone);
  auto sealed = (*a)->Seal(ref, Contact());
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  const std::string key_id = sealed->key_id();
  EXPECT_TRUE(shared->Holds(key_id));
  ASSERT_TRUE((*b)->Unseal(*sealed).ok());
  // b seals the customer's next contact with the same key.
  auto by_b = (*b)->Seal(ref, Contact());
  ASSERT_TRUE(by_b.ok()) << by_b.status();
  EXPECT_EQ(by_b->key_id(), key_id);
  EXPECT_TRUE((*a)->Unseal(*by_b).ok());

  // a erases while the shared keys cannot be reached: a no longer seals
  // with that key nor opens it (nor fetches it back), but the erasure is
  // not finished until they can.
  shared->refuse_erasures = true;
  EXPECT_EQ((*a)->EraseKey(key_id).code(), absl::StatusCode::kUnavailable);
  EXPECT_NE((*a)->CurrentKeyId(ref), key_id);
  EXPECT_EQ((*a)->Unseal(*sealed).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(shared->Holds(key_id));
  shared->refuse_erasures = false;
  ASSERT_TRUE((*a)->EraseKey(key_id).ok());  // As at a's next start.
  EXPECT_FALSE(shared->Holds(key_id));
  EXPECT_TRUE((*a)->EraseKey(key_id).ok());  // Nothing left: a no-op.

  // b has not folded the erasure yet: its copy still opens, but the id
  // cannot be made again (c, a node that never held it, is refused), and
  // once b erases it its copy is gone too.
  EXPECT_TRUE((*b)->Unseal(*by_b).ok());
  auto c = PersonalData::Open(dir.Sub("c"), TestKeys());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->ShareKeys(shared).ok());
  EXPECT_EQ((*c)->Seal(ref, Contact()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*b)->EraseKey(key_id).ok());
  EXPECT_EQ((*b)->Unseal(*by_b).status().code(), absl::StatusCode::kNotFound);
  auto comes_back = (*b)->Seal(ref, Contact());
  ASSERT_TRUE(comes_back.ok()) << comes_back.status();
  EXPECT_NE(comes_back->key_id(), key_id);
  EXPECT_TRUE((*a)->Unseal(*comes_back).ok());
}

TEST(SharedKeysTest, KeysANodeHeldBeforeSharingAreSharedOnceOrRefused) {
  TempDir dir;
  const std::string ref = "f2ad8d039c5e2425";
  {
    auto a = PersonalData::Open(dir.Sub("a"), TestKeys());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Seal(ref, Contact()).ok());  // Not shared yet.
  }
  auto shared = std::make_shared<SharedKeys>();
  auto a = PersonalData::Open(dir.Sub("a"), TestKeys());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->ShareKeys(shared).ok());
  EXPECT_TRUE(shared->Holds(ref + "#1"));
  // Once: started again, a node does not publish its keys again.
  a->reset();
  a = PersonalData::Open(dir.Sub("a"), TestKeys());
  ASSERT_TRUE(a.ok());
  const int creates = shared->creates;
  ASSERT_TRUE((*a)->ShareKeys(shared).ok());
  EXPECT_EQ(shared->creates, creates);
  // Another node whose own key under that id differs is refused.
  auto b = PersonalData::Open(dir.Sub("b"), TestKeys());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Seal(ref, Contact()).ok());
  EXPECT_EQ((*b)->ShareKeys(shared).code(), absl::StatusCode::kDataLoss);
}

TEST(SiteKeysTest, BadKeyFilesAreRefusedWithTheLine) {
  TempDir dir;
  const std::string path = dir.Sub("keys.txt");
  std::ofstream(path) << "master_key " << std::string(64, 'a') << "\n"
                      << "customer_ref_key 1234\n";
  EXPECT_THAT(LoadSiteKeys(path).status().message(),
              HasSubstr("keys.txt:2: a key is 64 hex digits"));
  std::ofstream(path) << "master_key " << std::string(64, 'a') << "\n";
  EXPECT_THAT(LoadSiteKeys(path).status().message(), HasSubstr("needs both"));
}

TEST(MaskedTest, KeepsOnlyWhatIdentifiesNobody) {
  v1::CustomerContact contact;
  contact.set_name("欧阳小明");
  contact.set_phone("13800138000");
  contact.set_address("88 Qingnian Road");
  contact.set_email("wang@example.com");
  v1::CustomerContact landline = contact;
  landline.set_phone("85551234");
  EXPECT_EQ(Masked(landline).phone(), "****1234");
  const v1::CustomerContact masked = Masked(contact);
  EXPECT_EQ(masked.phone(), "138****8000");
  EXPECT_EQ(masked.name(), "欧**");
  EXPECT_EQ(masked.address(), "8****");
  EXPECT_EQ(masked.email(), "w***@example.com");
}

}  // namespace
}  // namespace ledger::testing
