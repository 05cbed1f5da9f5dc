// Test support: a throw-away certificate authority made with the openssl command, a server
// certificate for 127.0.0.1 and a client certificate, both signed by it.
#pragma once

#include <string>

namespace cairn::store::registry::testing {

struct TestCerts {
  std::string ca_crt;                  // the CA certificate (PEM)
  std::string server_crt, server_key;  // subjectAltName IP:127.0.0.1
  std::string client_cert, client_key;
};

// Makes the files in dir (created). Throws cairn::Error with openssl's output when it fails.
TestCerts MakeTestCerts(const std::string& dir);

}  // namespace cairn::store::registry::testing
