// Private registry TLS as docker and podman configure it: a directory per registry,
//   /etc/docker/certs.d/HOST[:PORT]/      then /etc/containers/certs.d/HOST[:PORT]/
// holding CA certificates (*.crt, e.g. ca.crt), trusted in addition to the system's, and a
// client certificate and key for mutual TLS (client.cert + client.key; any NAME.cert with its
// NAME.key). A registry with such a directory is spoken to over https even on loopback, where
// cairn otherwise uses plain http (the directory says the registry serves TLS).
//
// Testing hook: $CAIRN_CERTS_D, when set, is the only certs.d root consulted (tests point it at
// a temp dir instead of writing into /etc).
#pragma once

#include <string>

#include "store/registry/http.h"

namespace cairn::store::registry {

// The certs.d directory for host_port ("reg.example.com", "127.0.0.1:5000"), "" when none exists.
std::string CertsDirFor(const std::string& host_port);

// The TLS material for host_port; empty fields where certs.d has nothing. Throws Error naming the
// file when a certificate cannot be read or a NAME.cert has no NAME.key.
TlsFiles RegistryTls(const std::string& host_port);

}  // namespace cairn::store::registry
