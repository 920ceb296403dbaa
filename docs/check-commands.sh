#!/usr/bin/env bash
# Runs every ```sh block of README.md and docs/*.md as written, in reading order, and stops at the first failure,
# naming the page and line of the block. For the long commands (QuickStart, pre-training, benchmarks); the quick
# ones also run in DocsCommandsTest. Not part of CI.
#
# Convention (docs/README.md): ```sh = run as written; ```text = output or other text, never run. The HTML comment
# on the line right before a ```sh fence says how it is checked:
#   (none)                          run; exit status 0 expected
#   <!-- quick: expect=TEXT -->     run; exit status 0 and TEXT in the output expected
#   <!-- background: ready=TEXT --> a server: started in the background; the next block waits until TEXT appears
#                                   in its output; stopped (SIGTERM to its process group) after the page's last block
#   <!-- skip: REASON -->           not run; REASON is printed
#
# By default the blocks run in a fresh temporary copy of this checkout (tracked and untracked, not ignored, files)
# with the reference data linked beside it as ../shared, so the first ./electra builds, as in a fresh clone.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: docs/check-commands.sh [options] [PAGE.md ...]

Runs the ```sh blocks of the given pages (default: README.md, then docs/pretraining.md, squad.md, serving.md,
cluster.md, benchmarks.md, then any other docs/*.md), in that order.

Options:
  --here              run in this checkout (outputs under runs/) instead of a fresh temporary copy
  --keep              keep the temporary copy afterwards (its path is printed)
  --list              list the blocks and how each is checked; run nothing
  --quick             run only the quick blocks
  --skip-matching RE  do not run blocks whose text matches the extended regex RE (repeatable)
  --keep-going        after a failure, go on with the next block; exit 1 at the end
  --timeout S         give a block at most S seconds (default 3600); a background block S to become ready
  --shared DIR        the reference data (default: ../shared beside this checkout)
  -h, --help          this text
EOF
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here=false keep=false list=false quick_only=false keep_going=false timeout_s=3600
shared="$repo/../shared"
skip_res=() pages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --here) here=true ;;
    --keep) keep=true ;;
    --list) list=true ;;
    --quick) quick_only=true ;;
    --keep-going) keep_going=true ;;
    --skip-matching) skip_res+=("$2"); shift ;;
    --timeout) timeout_s="$2"; shift ;;
    --shared) shared="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "check-commands: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) pages+=("$1") ;;
  esac
  shift
done

if [ ${#pages[@]} -eq 0 ]; then
  for p in README.md docs/pretraining.md docs/squad.md docs/serving.md docs/cluster.md docs/benchmarks.md; do
    [ -f "$repo/$p" ] && pages+=("$p")
  done
  for f in "$repo"/docs/*.md; do
    p="docs/$(basename "$f")"
    case " ${pages[*]} " in *" $p "*) ;; *) pages+=("$p") ;; esac
  done
fi

# Extracts the blocks of one page: for each ```sh block a file NNN.sh and a line "NNN<TAB>LINE<TAB>KIND<TAB>ARG" in
# the index (KIND: run, quick, background, skip).
extract() { # page out_dir
  awk -v out="$2" '
    function flush_marker() { kind = "run"; arg = "" }
    BEGIN { n = 0; inblock = 0; flush_marker(); prev = "" }
    {
      if (inblock) {
        if ($0 ~ /^[ \t]*```[ \t]*$/) { inblock = 0; close(file); prev = ""; next }
        if (runnable) print $0 > file
        next
      }
      if ($0 ~ /^[ \t]*```/) {
        inblock = 1; runnable = ($0 ~ /^```sh[ \t]*$/)
        if (runnable) {
          flush_marker()
          if (match(prev, /^<!--[ \t]*(quick|background|skip):/)) {
            m = prev; sub(/^<!--[ \t]*/, "", m); sub(/[ \t]*-->[ \t]*$/, "", m)
            kind = m; sub(/:.*/, "", kind); arg = m; sub(/^[a-z]+:[ \t]*/, "", arg)
          }
          n++; file = sprintf("%s/%03d.sh", out, n)
          printf "" > file
          printf "%03d\t%d\t%s\t%s\n", n, NR, kind, arg > (out "/index")
        }
        next
      }
      prev = $0
    }
    END { if (inblock) { printf "unclosed fence\n" > "/dev/stderr"; exit 1 } }
  ' "$repo/$1"
}

work="$(mktemp -d "${TMPDIR:-/tmp}/check-commands.XXXXXX")"
bg_pids=()
stop_background() {
  local pid
  for pid in "${bg_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${bg_pids[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  bg_pids=()
}
cleanup() {
  stop_background
  if $keep && ! $list; then
    echo "check-commands: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for page in "${pages[@]}"; do
  [ -f "$repo/$page" ] || { echo "check-commands: no page $page" >&2; exit 2; }
  mkdir -p "$work/blocks/${page//\//_}"
  touch "$work/blocks/${page//\//_}/index"
  extract "$page" "$work/blocks/${page//\//_}"
done

if $list; then
  for page in "${pages[@]}"; do
    while IFS=$'\t' read -r n line kind arg; do
      printf '%-28s %-11s %s\n' "$page:$line" "$kind" "${arg:-$(head -1 "$work/blocks/${page//\//_}/$n.sh" | cut -c1-90)}"
    done < "$work/blocks/${page//\//_}/index"
  done
  exit 0
fi

if $here; then
  dir="$repo"
else
  [ -d "$shared" ] || { echo "check-commands: no reference data at $shared (give --shared DIR)" >&2; exit 2; }
  dir="$work/checkout"
  mkdir -p "$dir"
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | (cd "$dir" && tar -xf -)
  (cd "$dir" && git init -q && git add -A && git -c user.name=check -c user.email=check@localhost commit -qm copy)
  ln -s "$(cd "$shared" && pwd)" "$work/shared"
  echo "check-commands: running in a fresh copy, $dir (reference data: $work/shared)"
fi

failed=0 ran=0 skipped=0
for page in "${pages[@]}"; do
  blocks="$work/blocks/${page//\//_}"
  while IFS=$'\t' read -r n line kind arg <&3; do
    where="$page:$line"
    text="$blocks/$n.sh"
    reason=""
    if [ "$kind" = skip ]; then
      reason="$arg"
    elif $quick_only && [ "$kind" != quick ]; then
      reason="not quick (--quick)"
    else
      for re in "${skip_res[@]}"; do
        if grep -Eq -- "$re" "$text"; then reason="matches --skip-matching '$re'"; break; fi
      done
    fi
    if [ -n "$reason" ]; then
      echo "== $where: skipped: $reason"
      skipped=$((skipped + 1))
      continue
    fi
    log="$work/logs/${page//\//_}-$line.log"
    mkdir -p "$work/logs"
    echo "== $where ($kind)"
    sed 's/^/   $ /' "$text"
    ran=$((ran + 1))
    if [ "$kind" = background ]; then
      ready="${arg#ready=}"
      (cd "$dir" && exec setsid bash -euo pipefail "$text") >"$log" 2>&1 < /dev/null &
      bg_pids+=("$!")
      ok=false
      for _ in $(seq "$timeout_s"); do
        if grep -qF -- "$ready" "$log"; then ok=true; break; fi
        kill -0 "$!" 2>/dev/null || break
        sleep 1
      done
      if $ok; then
        echo "   (running in the background: \"$ready\" seen)"
        continue
      fi
      status="not ready: \"$ready\" did not appear"
    else
      set +e
      started=$SECONDS
      (cd "$dir" && timeout --kill-after=30 "$timeout_s" bash -euo pipefail "$text") 2>&1 < /dev/null | tee "$log" | sed 's/^/   | /'
      rc=${PIPESTATUS[0]}
      set -e
      echo "   (exit status $rc after $((SECONDS - started)) s)"
      if [ "$rc" -eq 0 ] && [ "$kind" = quick ] && ! grep -qF -- "${arg#expect=}" "$log"; then
        status="exit status 0, but the output lacks \"${arg#expect=}\""
      elif [ "$rc" -eq 0 ]; then
        continue
      else
        status="exit status $rc"
        if [ "$rc" -eq 124 ]; then status="$status (timed out after $timeout_s s)"; fi
      fi
    fi
    echo "check-commands: FAILED: the block at $where: $status" >&2
    echo "check-commands: its output: $log (last lines below)" >&2
    tail -20 "$log" | sed 's/^/   > /' >&2
    failed=$((failed + 1))
    keep=true
    $keep_going || exit 1
  done 3< "$blocks/index"
  stop_background
done

echo "check-commands: $ran blocks run, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
