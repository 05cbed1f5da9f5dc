# Sourced by bench scripts (after they set $work, and $runs for measure): timing helpers.
#   median          the median of the numbers on stdin, one a line
#   seconds CMD...  runs CMD (output to $work/last.log) and prints its wall-clock seconds; a
#                   failure prints the command and its last 30 lines of output, and exits 1
#   measure CMD...  the median of $runs runs of seconds CMD...
#   free_port       a TCP port nothing listens on at 127.0.0.1
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
seconds() {
  local s=$(date +%s.%N)
  "$@" >"$work/last.log" 2>&1 || { echo "bench: failed: $*" >&2; tail -30 "$work/last.log" >&2; exit 1; }
  awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {print b - a}'; }
measure() { for _ in $(seq 1 "$runs"); do seconds "$@"; done | median; }
free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "bench: no free port" >&2; exit 1; }
