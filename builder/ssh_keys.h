// `cairn build --ssh ID=KEYFILE[,KEYFILE]`, as buildx: cairn reads the private keys itself and
// answers as an ssh agent for them (builder/ssh_agent.h), so a step can authenticate with the
// keys without ever reading them. Read with OpenSSL 3:
//   - OpenSSH's own format ("BEGIN OPENSSH PRIVATE KEY", what ssh-keygen writes), unencrypted:
//     ssh-ed25519, ssh-rsa and ecdsa-sha2-nistp256/384/521 (parsed here: OpenSSL has no reader);
//   - PEM (PKCS#1 "BEGIN RSA PRIVATE KEY", SEC1 "BEGIN EC PRIVATE KEY", PKCS#8), unencrypted.
// A key with a passphrase is refused naming the file (cairn cannot ask for it): load it into an
// agent with ssh-add and pass the agent's socket instead. No message ever holds key material.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn::builder {

// The agent protocol's flags of SSH_AGENTC_SIGN_REQUEST (draft-miller-ssh-agent 4.5.1).
inline constexpr uint32_t kSshAgentRsaSha2_256 = 2;
inline constexpr uint32_t kSshAgentRsaSha2_512 = 4;

class SshKeyring {
 public:
  struct Identity {
    std::string blob;     // the public key in ssh's wire form
    std::string comment;  // the key file's comment, else its path (as ssh-add shows it)
  };

  // Reads every file. Throws Error naming the file: unreadable, encrypted, not a private key,
  // a key type cairn does not sign with.
  static std::shared_ptr<const SshKeyring> Load(const std::vector<std::string>& paths);

  ~SshKeyring();
  SshKeyring(const SshKeyring&) = delete;
  SshKeyring& operator=(const SshKeyring&) = delete;

  std::vector<Identity> Identities() const;

  // The signature (ssh's wire form: string algorithm, string signature) of data with the key
  // whose public blob is blob; nullopt when no key has that blob or signing failed. flags pick
  // rsa-sha2-256/512 for an RSA key (else ssh-rsa, SHA-1), as the agent protocol says.
  std::optional<std::string> Sign(const std::string& blob, const std::string& data, uint32_t flags) const;

  struct Key;  // a parsed key: its identity and OpenSSL's key (ssh_keys.cc)

 private:
  SshKeyring() = default;
  std::vector<std::unique_ptr<Key>> keys_;
};

}  // namespace cairn::builder
