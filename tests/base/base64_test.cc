#include "base/base64.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace cairn {
namespace {

TEST(Base64Test, RoundTripsCredentials) {
  for (std::string s : {"", "a", "ab", "abc", "user:pa:ss word"}) EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  EXPECT_EQ(Base64Encode("user:secret"), "dXNlcjpzZWNyZXQ=");
  EXPECT_THROW(Base64Decode("abc"), Error);
}

}  // namespace
}  // namespace cairn
