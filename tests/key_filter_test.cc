// KeyFilter: absent keys are answered from memory once the family's keys are
// loaded; until then, and past its size, every key may exist.
#include "ledger/store/internal/key_filter.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/test_util.h"

namespace ledger::internal {
namespace {

class KeyFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.path(), &db).ok());
    db_.reset(db);
    for (int i = 0; i < 10'000; ++i) {
      ASSERT_TRUE(
          db_->Put(rocksdb::WriteOptions(), absl::StrCat("old-", i), "").ok());
    }
  }

  ledger::testing::TempDir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<bool> stop_{false};
};

TEST_F(KeyFilterTest, AnswersForAbsentKeysOnlyOnceLoaded) {
  KeyFilter filter;
  // Not loaded: anything may exist, even a key never written.
  EXPECT_TRUE(filter.MayContain("never"));
  filter.AddAll(std::vector<std::string>{"new-1"});
  EXPECT_TRUE(filter.MayContain("never"));

  filter.Load(db_.get(), db_->DefaultColumnFamily(), stop_);
  for (int i = 0; i < 10'000; i += 999) {
    EXPECT_TRUE(filter.MayContain(absl::StrCat("old-", i))) << i;
  }
  // Added before the load finished: kept.
  EXPECT_TRUE(filter.MayContain("new-1"));
  int absent = 0;
  for (int i = 0; i < 1000; ++i) {
    absent += filter.MayContain(absl::StrCat("never-", i)) ? 0 : 1;
  }
  EXPECT_EQ(absent, 1000);

  // A map's keys, as the writer adds its group's.
  filter.AddAll(absl::flat_hash_set<std::string>{"new-2"});
  EXPECT_TRUE(filter.MayContain("new-2"));
}

TEST_F(KeyFilterTest, AStoppedLoadLeavesEveryKeyPossible) {
  KeyFilter filter;
  stop_ = true;
  filter.Load(db_.get(), db_->DefaultColumnFamily(), stop_);
  EXPECT_TRUE(filter.MayContain("never"));
}

TEST_F(KeyFilterTest, PastItsSizeEveryKeyIsPossibleAgain) {
  KeyFilter filter(/*max_keys=*/20'000);
  filter.Load(db_.get(), db_->DefaultColumnFamily(), stop_);
  EXPECT_FALSE(filter.MayContain("never"));
  std::vector<std::string> more;
  for (int i = 0; i < 10'001; ++i) more.push_back(absl::StrCat("more-", i));
  filter.AddAll(more);
  EXPECT_TRUE(filter.MayContain("never"));
  // And stays so: it no longer knows every key.
  filter.AddAll(std::vector<std::string>{"one-more"});
  EXPECT_TRUE(filter.MayContain("never"));
}

}  // namespace
}  // namespace ledger::internal
