// Flag values split as docker and BuildKit split them (Go's encoding/csv, one record).
#include "base/csv_fields.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace cairn {
namespace {

using Fields = std::vector<std::string>;

TEST(CsvFields, CommasSeparateAndQuotesMayHoldThem) {
  EXPECT_EQ(SplitCsvFields("type=cache,target=/root/.cache,sharing=locked"),
            (Fields{"type=cache", "target=/root/.cache", "sharing=locked"}));
  EXPECT_EQ(SplitCsvFields("\"dest=a,b\",type=local"), (Fields{"dest=a,b", "type=local"}));
  EXPECT_EQ(SplitCsvFields("\"say \"\"hi\"\"\""), (Fields{"say \"hi\""}));
  EXPECT_EQ(SplitCsvFields("a,,b,"), (Fields{"a", "", "b", ""}));
  EXPECT_EQ(SplitCsvFields(""), Fields{});
}

TEST(CsvFields, QuotesGoLangRefusesAreRefused) {
  EXPECT_THROW(SplitCsvFields("target=\"/x\""), Error);  // bare quote, as Go's csv says
  EXPECT_THROW(SplitCsvFields("\"open,type=bind"), Error);
  EXPECT_THROW(SplitCsvFields("\"a\"b,c"), Error);
}

TEST(CsvFields, KeyValueCutsAtTheFirstEquals) {
  auto kv = CutKeyValue("env=A=B");
  EXPECT_EQ(kv.key, "env");
  EXPECT_EQ(kv.value, "A=B");
  auto bare = CutKeyValue("readonly");
  EXPECT_EQ(bare.key, "readonly");
  EXPECT_FALSE(bare.value.has_value());
  EXPECT_EQ(CutKeyValue("k=").value, "");
}

TEST(CsvFields, KeyValueFlagsNameTheFieldThatIsNotKeyValue) {
  auto kv = KeyValueFields("type=local,\"dest=/a,b\"", "--output");
  EXPECT_EQ(kv.at("type"), "local");
  EXPECT_EQ(kv.at("dest"), "/a,b");
  try {
    KeyValueFields("type=registry,push", "--output");
    FAIL() << "a bare key was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--output type=registry,push: \"push\" is not KEY=VALUE");
  }
  EXPECT_THROW(KeyValueFields("=x", "--cache-to"), Error);
}

}  // namespace
}  // namespace cairn
