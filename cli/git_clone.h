// The builder's git fetcher (builder::GitFetcher, builder/git_source.h), with libgit2: a bare
// clone into DIR/git, the ref resolved to a commit, its tree checked out into DIR/tree (no .git,
// no index). http(s), git:// and file:// as libgit2 speaks them; ssh:// and git@host:path with
// the keys of the ssh agent at $SSH_AUTH_SOCK (which cli/git_ssh_agent.h points at `--ssh
// default` when it is given). Credentials in an http(s) URL's userinfo are used
// for the clone and appear in no message.
#pragma once

#include <string>

#include "builder/git_source.h"

namespace cairn::cli {

// Throws Error naming url.display: the clone failed (libgit2's reason), no such ref, the subdir
// is not a directory of the commit.
builder::GitCheckout CloneGit(const builder::GitUrl& url, const std::string& dir);

}  // namespace cairn::cli
