/* Lists the keys of the ssh agent at $SSH_AUTH_SOCK, one comment a line (as `ssh-add -l` would
   name them), speaking the agent protocol itself: static, so it runs in the busybox test image. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_all(int fd, unsigned char* buf, size_t n) {
  for (size_t got = 0; got < n;) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static uint32_t be32(const unsigned char* p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

int main(void) {
  const char* path = getenv("SSH_AUTH_SOCK");
  if (!path) { fprintf(stderr, "SSH_AUTH_SOCK is not set\n"); return 2; }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) { perror(path); return 3; }
  const unsigned char request[5] = {0, 0, 0, 1, 11};  /* SSH_AGENTC_REQUEST_IDENTITIES */
  if (write(fd, request, sizeof request) != sizeof request) { perror("write"); return 4; }
  unsigned char len[4];
  if (read_all(fd, len, 4) != 0) { fprintf(stderr, "no answer\n"); return 5; }
  uint32_t n = be32(len);
  unsigned char* msg = malloc(n);
  if (!msg || n < 5 || read_all(fd, msg, n) != 0 || msg[0] != 12) { fprintf(stderr, "bad answer\n"); return 6; }
  uint32_t keys = be32(msg + 1), at = 5;
  printf("%u keys\n", keys);
  for (uint32_t i = 0; i < keys; i++) {
    if (at + 4 > n) return 7;
    at += 4 + be32(msg + at);  /* the key blob */
    if (at + 4 > n) return 7;
    uint32_t clen = be32(msg + at);
    if (at + 4 + clen > n) return 7;
    printf("%.*s\n", (int)clen, (const char*)msg + at + 4);
    at += 4 + clen;
  }
  return 0;
}
