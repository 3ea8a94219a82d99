// Complaint numbers past six digits and the free numbers handed out first
// (issue 22, finding 4: ids of seven digits were not parsed after a
// restart, and intakes then failed with ABORTED).
#include "app/complaint_numbers.h"

#include "gtest/gtest.h"

namespace ledger {
namespace {

TEST(ComplaintNumbersTest, ParsesNumbersOfSixDigitsAndMore) {
  int64_t year = 0;
  int64_t number = 0;
  ASSERT_TRUE(ParseComplaintNumber("2026-000123", &year, &number));
  EXPECT_EQ(year, 2026);
  EXPECT_EQ(number, 123);
  ASSERT_TRUE(ParseComplaintNumber("2026-1000000", &year, &number));
  EXPECT_EQ(number, 1'000'000);
  EXPECT_FALSE(ParseComplaintNumber("2026-12345", &year, &number));
  EXPECT_FALSE(ParseComplaintNumber("2026-00012a", &year, &number));
  EXPECT_FALSE(ParseComplaintNumber("2026-000000", &year, &number));
  EXPECT_FALSE(ParseComplaintNumber("paper-000017", &year, &number));
}

TEST(ComplaintNumbersTest, TheNumberingFormIsRecognised) {
  EXPECT_TRUE(LooksNumbered("2026-999999"));
  EXPECT_TRUE(LooksNumbered("2026-1"));
  EXPECT_TRUE(LooksNumbered("26-0001"));
  EXPECT_FALSE(LooksNumbered("paper-2026-17"));
  EXPECT_FALSE(LooksNumbered("desk-7/1"));
  EXPECT_FALSE(LooksNumbered("2026-"));
  EXPECT_FALSE(LooksNumbered("-17"));
}

TEST(ComplaintNumbersTest, FreeNumbersGoFirstLowestFirst) {
  YearNumbers numbers;
  numbers.last = 999'998;
  EXPECT_EQ(numbers.Take(), 999'999);
  EXPECT_EQ(numbers.Take(), 1'000'000);  // Past six digits, on it goes.
  numbers.Free(5, 7);
  numbers.Free(2, 2);
  numbers.Taken(6);  // Committed by someone: no longer free.
  EXPECT_EQ(numbers.Take(), 2);
  EXPECT_EQ(numbers.Take(), 5);
  EXPECT_EQ(numbers.Take(), 7);
  EXPECT_EQ(numbers.Take(), 1'000'001);
}

}  // namespace
}  // namespace ledger
