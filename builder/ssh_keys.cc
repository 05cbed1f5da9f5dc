#include "builder/ssh_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstring>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::builder {

struct SshKeyring::Key {
  Identity id;
  std::string type;  // "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

// ssh's wire encoding (RFC 4251 5).
void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutString(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}
// A non-negative mpint: BN_bn2mpi writes exactly ssh's form (length, a 0 byte before a high bit).
void PutMpint(std::string& out, const BIGNUM* bn) {
  std::string buf(static_cast<size_t>(BN_bn2mpi(bn, nullptr)), '\0');
  BN_bn2mpi(bn, reinterpret_cast<unsigned char*>(buf.data()));
  out += buf;
}

// Reads the wire encoding; every read past the end throws (a truncated key file).
class Reader {
 public:
  Reader(std::string_view data, const std::string& path) : data_(data), path_(path) {}
  uint32_t U32() {
    Need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(data_[at_++]);
    return v;
  }
  std::string String() {
    uint32_t n = U32();
    Need(n);
    std::string s(data_.substr(at_, n));
    at_ += n;
    return s;
  }
  BIGNUM* Mpint() {
    std::string s = String();
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()), nullptr);
    OPENSSL_cleanse(s.data(), s.size());
    if (!bn) throw Error("--ssh " + path_ + ": the key file is damaged");
    return bn;
  }

 private:
  void Need(size_t n) {
    if (data_.size() - at_ < n) throw Error("--ssh " + path_ + ": the key file is truncated or damaged");
  }
  std::string_view data_;
  size_t at_ = 0;
  const std::string& path_;
};

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::string Base64Decode(const std::string& text, const std::string& path) {
  std::string clean;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
  std::string out(clean.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) throw Error("--ssh " + path + ": the key file is damaged (not base64)");
  size_t pad = 0;
  for (size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  OPENSSL_cleanse(clean.data(), clean.size());
  return out;
}

// OpenSSL's key from parameters (RSA, EC): fromdata, as OpenSSL 3 builds keys.
EVP_PKEY* FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
    pkey = nullptr;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

const char* EcGroupOf(const std::string& curve) {
  if (curve == "nistp256") return "prime256v1";
  if (curve == "nistp384") return "secp384r1";
  if (curve == "nistp521") return "secp521r1";
  return nullptr;
}

// The private part of one key of an openssh-key-v1 file (OpenSSH's PROTOCOL.key).
std::unique_ptr<SshKeyring::Key> ParsePrivate(Reader& r, const std::string& path) {
  auto key = std::make_unique<SshKeyring::Key>();
  key->type = r.String();
  if (key->type == "ssh-ed25519") {
    std::string pub = r.String(), priv = r.String();  // priv: the 32-byte seed, then pub
    if (pub.size() != 32 || priv.size() != 64) throw Error("--ssh " + path + ": the ed25519 key is damaged");
    key->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(priv.data()), 32);
    OPENSSL_cleanse(priv.data(), priv.size());
  } else if (key->type == "ssh-rsa") {
    Bn n(r.Mpint()), e(r.Mpint()), d(r.Mpint()), iqmp(r.Mpint()), p(r.Mpint()), q(r.Mpint());
    // OpenSSL signs with n, e, d; the CRT factors would only make it faster.
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n.get()) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e.get()) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d.get()))
      key->pkey = FromParams("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
  } else if (key->type.rfind("ecdsa-sha2-", 0) == 0) {
    std::string curve = r.String(), point = r.String();
    Bn d(r.Mpint());
    const char* group = EcGroupOf(curve);
    if (!group || key->type != "ecdsa-sha2-" + curve) throw Error("--ssh " + path + ": ecdsa curve " + curve + " is not one cairn signs with (nistp256, nistp384, nistp521)");
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d.get()))
      key->pkey = FromParams("EC", bld);
    OSSL_PARAM_BLD_free(bld);
  } else {
    throw Error("--ssh " + path + ": a " + key->type + " key; cairn signs with ssh-ed25519, ssh-rsa and ecdsa-sha2-nistp* keys "
                "(load others into an ssh agent and pass its socket)");
  }
  if (!key->pkey) throw Error("--ssh " + path + ": OpenSSL refused the " + key->type + " key (a damaged key file?)");
  key->id.comment = r.String();
  return key;
}

std::unique_ptr<SshKeyring::Key> ParseOpenSsh(const std::string& text, const std::string& path) {
  static const std::string kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----", kEnd = "-----END OPENSSH PRIVATE KEY-----";
  size_t begin = text.find(kBegin), end = text.find(kEnd);
  if (end == std::string::npos || end < begin) throw Error("--ssh " + path + ": the key file is truncated (no END line)");
  std::string raw = Base64Decode(text.substr(begin + kBegin.size(), end - begin - kBegin.size()), path);
  static const std::string kMagic("openssh-key-v1\0", 15);
  if (raw.compare(0, kMagic.size(), kMagic) != 0) throw Error("--ssh " + path + ": not an openssh-key-v1 private key");
  Reader r(std::string_view(raw).substr(kMagic.size()), path);
  std::string cipher = r.String(), kdf = r.String();
  r.String();  // kdf options
  if (cipher != "none" || kdf != "none")
    throw Error("--ssh " + path + ": the key is protected by a passphrase, which cairn cannot ask for; load it into an agent "
                "(ssh-add " + path + ") and pass the agent's socket (--ssh ID=$SSH_AUTH_SOCK)");
  if (r.U32() != 1) throw Error("--ssh " + path + ": the file holds several keys; give one key per file");
  std::string pub = r.String();
  std::string priv = r.String();
  Reader p(priv, path);
  if (p.U32() != p.U32()) throw Error("--ssh " + path + ": the key file is damaged (check bytes differ)");
  auto key = ParsePrivate(p, path);
  OPENSSL_cleanse(priv.data(), priv.size());
  OPENSSL_cleanse(raw.data(), raw.size());
  key->id.blob = pub;
  return key;
}

// The public blob of a key OpenSSL read (PEM): ssh's form of RSA, Ed25519 and EC keys.
std::string PublicBlob(EVP_PKEY* pkey, std::string& type, const std::string& path) {
  std::string blob;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    BIGNUM *n = nullptr, *e = nullptr;
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    Bn nn(n), ee(e);
    if (!n || !e) throw Error("--ssh " + path + ": OpenSSL could not read the RSA key's public part");
    type = "ssh-rsa";
    PutString(blob, type);
    PutMpint(blob, e);
    PutMpint(blob, n);
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    std::string pub(32, '\0');
    size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(pub.data()), &len) <= 0 || len != 32)
      throw Error("--ssh " + path + ": OpenSSL could not read the ed25519 key's public part");
    type = "ssh-ed25519";
    PutString(blob, type);
    PutString(blob, pub);
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr);
    std::string curve;
    for (const char* c : {"nistp256", "nistp384", "nistp521"})
      if (std::string(EcGroupOf(c)) == group) curve = c;
    if (curve.empty()) throw Error("--ssh " + path + ": EC curve " + group + " is not one ssh uses (nistp256, nistp384, nistp521)");
    std::string point(256, '\0');
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, reinterpret_cast<unsigned char*>(point.data()), point.size(), &len) <= 0)
      throw Error("--ssh " + path + ": OpenSSL could not read the EC key's public part");
    point.resize(len);
    type = "ecdsa-sha2-" + curve;
    PutString(blob, type);
    PutString(blob, curve);
    PutString(blob, point);
  } else {
    throw Error("--ssh " + path + ": not an RSA, ed25519 or EC private key");
  }
  return blob;
}

int RefusePassphrase(char*, int, int, void* encrypted) {
  *static_cast<bool*>(encrypted) = true;
  return -1;
}

std::unique_ptr<SshKeyring::Key> ParsePem(const std::string& text, const std::string& path) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  bool encrypted = text.find("ENCRYPTED") != std::string::npos;
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio, nullptr, RefusePassphrase, &encrypted) : nullptr;
  BIO_free(bio);
  if (!pkey && encrypted)
    throw Error("--ssh " + path + ": the key is protected by a passphrase, which cairn cannot ask for; load it into an agent "
                "(ssh-add " + path + ") and pass the agent's socket (--ssh ID=$SSH_AUTH_SOCK)");
  if (!pkey) throw Error("--ssh " + path + ": not a private key cairn reads (OpenSSH or PEM format, unencrypted)");
  auto key = std::make_unique<SshKeyring::Key>();
  key->pkey = pkey;
  key->id.blob = PublicBlob(pkey, key->type, path);
  key->id.comment = path;
  return key;
}

std::optional<std::string> SignWith(EVP_PKEY* pkey, const EVP_MD* md, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, md, nullptr, pkey) > 0 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) > 0;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) > 0;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return sig;
}

}  // namespace

std::shared_ptr<const SshKeyring> SshKeyring::Load(const std::vector<std::string>& paths) {
  std::shared_ptr<SshKeyring> ring(new SshKeyring());
  for (auto& path : paths) {
    std::string text;
    try {
      text = ReadFile(path);
    } catch (const Error&) {
      throw SysError("--ssh: read the key file", path);
    }
    auto key = text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string::npos ? ParseOpenSsh(text, path) : ParsePem(text, path);
    OPENSSL_cleanse(text.data(), text.size());
    if (key->id.comment.empty()) key->id.comment = path;
    ring->keys_.push_back(std::move(key));
  }
  return ring;
}

SshKeyring::~SshKeyring() = default;

std::vector<SshKeyring::Identity> SshKeyring::Identities() const {
  std::vector<Identity> out;
  for (auto& k : keys_) out.push_back(k->id);
  return out;
}

std::optional<std::string> SshKeyring::Sign(const std::string& blob, const std::string& data, uint32_t flags) const {
  for (auto& k : keys_) {
    if (k->id.blob != blob) continue;
    std::string out;
    if (k->type == "ssh-ed25519") {
      auto sig = SignWith(k->pkey, nullptr, data);
      if (!sig) return std::nullopt;
      PutString(out, k->type);
      PutString(out, *sig);
    } else if (k->type == "ssh-rsa") {
      const char* alg = flags & kSshAgentRsaSha2_512 ? "rsa-sha2-512" : flags & kSshAgentRsaSha2_256 ? "rsa-sha2-256" : "ssh-rsa";
      const EVP_MD* md = flags & kSshAgentRsaSha2_512 ? EVP_sha512() : flags & kSshAgentRsaSha2_256 ? EVP_sha256() : EVP_sha1();
      auto sig = SignWith(k->pkey, md, data);  // PKCS#1 v1.5, as long as the modulus (RFC 8332)
      if (!sig) return std::nullopt;
      PutString(out, alg);
      PutString(out, *sig);
    } else {  // ecdsa-sha2-*: the DER signature as two mpints (RFC 5656 3.1.2)
      int bits = EVP_PKEY_get_bits(k->pkey);
      const EVP_MD* md = bits <= 256 ? EVP_sha256() : bits <= 384 ? EVP_sha384() : EVP_sha512();
      auto der = SignWith(k->pkey, md, data);
      if (!der) return std::nullopt;
      const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
      ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size()));
      if (!sig) return std::nullopt;
      std::string rs;
      PutMpint(rs, ECDSA_SIG_get0_r(sig));
      PutMpint(rs, ECDSA_SIG_get0_s(sig));
      ECDSA_SIG_free(sig);
      PutString(out, k->type);
      PutString(out, rs);
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace cairn::builder
