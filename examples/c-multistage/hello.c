/* A small C program built in one stage and shipped alone in another. */
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
  struct utsname u;
  uname(&u);
  printf("hello from a static C binary on %s %s\n", u.sysname, u.machine);
  return 0;
}
