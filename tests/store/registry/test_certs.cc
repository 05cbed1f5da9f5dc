#include "tests/store/registry/test_certs.h"

#include <vector>

#include "base/error.h"
#include "base/fs.h"
#include "tests/store/registry/test_registry.h"

namespace cairn::store::registry::testing {
namespace {

void Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  if (RunCommand(argv, &out) != 0) throw Error("openssl " + args[0] + " failed: " + out);
}

// A key and a certificate signed by the CA, with the extensions in ext_text.
void Signed(const std::string& dir, const std::string& name, const std::string& subject, const std::string& ext_text,
            const TestCerts& ca, const std::string& cert_suffix) {
  std::string key = JoinPath(dir, name + ".key"), csr = JoinPath(dir, name + ".csr"),
              ext = JoinPath(dir, name + ".ext");
  WriteFileAtomic(ext, ext_text);
  Openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", subject, "-out", csr});
  Openssl({"x509", "-req", "-in", csr, "-CA", ca.ca_crt, "-CAkey", JoinPath(dir, "ca.key"), "-CAcreateserial", "-days",
           "2", "-extfile", ext, "-out", JoinPath(dir, name + cert_suffix)});
}

}  // namespace

TestCerts MakeTestCerts(const std::string& dir) {
  MakeDirs(dir);
  TestCerts c;
  c.ca_crt = JoinPath(dir, "ca.crt");
  Openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", JoinPath(dir, "ca.key"), "-subj",
           "/CN=cairn test CA", "-days", "2", "-out", c.ca_crt});
  Signed(dir, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", c, ".crt");
  Signed(dir, "client", "/CN=cairn test client", "extendedKeyUsage=clientAuth\n", c, ".cert");
  c.server_crt = JoinPath(dir, "server.crt");
  c.server_key = JoinPath(dir, "server.key");
  c.client_cert = JoinPath(dir, "client.cert");
  c.client_key = JoinPath(dir, "client.key");
  return c;
}

}  // namespace cairn::store::registry::testing
