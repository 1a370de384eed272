#!/usr/bin/env bash
# test.sh: tests deploy/local-workers.sh and deploy/ssh-workers.sh for real on 127.0.0.1.
#
# Non-interactive and bounded in time (DAPHNE_DEPLOY_TEST_TIMEOUT seconds, default 300); exits 0
# when every check passes, non-zero otherwise, and ends with a line `test.sh: N passed, M failed`.
# It only ever signals processes that it (or the scripts it tests) started, and stops them all
# on every way out, also on failure or timeout. Network traffic goes to 127.0.0.1 only.
#
# What it runs:
#   1. local-workers.sh: start 3 workers on free ports, list, env, run daphne --distributed on them
#      (the output must match the script's expected output and all pipelines must have run on the
#      3 workers), refuse a second start, stop, check that the workers are gone; --base-port;
#      a start that cannot complete (port taken, binary without banner) stops what it started.
#   2. ssh-workers.sh, with a stand-in `ssh` first on PATH that runs the remote command locally
#      (and refuses any host but 127.0.0.1): start 3 workers from a host file with a token, list,
#      env, run daphne with the token (and fail without it), stop; a start where one host fails.
#   3. shellcheck on the deploy scripts when shellcheck is installed (unless
#      DAPHNE_DEPLOY_TEST_SHELLCHECK=0), `bash -n` on the sbatch files.
#
# The binaries come from $DAPHNE_BIN_DIR (default target/release of this repository): `daphne` and
# `DistributedWorker`. Usage: deploy/test.sh [--help]
#
# Checks are written `A && B || fail ...`, meaning: fail unless both A and B hold.
# shellcheck disable=SC2015
set -euo pipefail

PROG=${0##*/}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p;}' "$0"
    exit 0
fi
(($# == 0)) || { echo "$PROG: no arguments expected (see --help)" >&2; exit 2; }

DEPLOY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$DEPLOY")
BIN_DIR=${DAPHNE_BIN_DIR:-$REPO/target/release}
BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd) || { echo "$PROG: no directory ${DAPHNE_BIN_DIR:-$REPO/target/release}" >&2; exit 1; }
DAPHNE=$BIN_DIR/daphne
WORKER=$BIN_DIR/DistributedWorker
LOCAL=$DEPLOY/local-workers.sh
SSHW=$DEPLOY/ssh-workers.sh
TEST_SCRIPT=$REPO/tests/scripts/vectorized/chain_full_aggregation.daph
EXPECTED=$REPO/tests/scripts/vectorized/chain_full_aggregation.txt
TEST_TIMEOUT=${DAPHNE_DEPLOY_TEST_TIMEOUT:-300}

for f in "$DAPHNE" "$WORKER"; do
    [[ -x $f ]] || { echo "$PROG: $f is missing (cargo build --release, or set DAPHNE_BIN_DIR)" >&2; exit 1; }
done
for f in "$TEST_SCRIPT" "$EXPECTED"; do
    [[ -r $f ]] || { echo "$PROG: $f is missing" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/daphne-deploy-test.XXXXXX")
PASSED=0
OUR_PIDS=()
WATCHDOG=''
SSH_PATH=$TMP/fakebin:$PATH

# Whether a process runs (exists and is not a zombie).
running() {
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [[ $stat != Z* ]]
}

cleanup() {
    local rc=$? pid i
    trap - EXIT TERM INT
    cd /
    # A command still running (after a timeout or an interrupt): TERM, then KILL after 15 s.
    if [[ -n $RUN_PID ]] && running "$RUN_PID"; then
        kill -TERM "$RUN_PID" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do running "$RUN_PID" || break; sleep 0.1; done
        kill -KILL "$RUN_PID" 2>/dev/null || true
    fi
    # Stop what the scripts recorded, then anything of ours still left.
    for d in "$TMP"/local-*; do
        if [[ -d $d ]]; then DAPHNE_WORKER_STOP_TIMEOUT=2 "$LOCAL" stop --dir "$d" >/dev/null 2>&1 || true; fi
    done
    for d in "$TMP"/ssh-*; do
        if [[ -d $d ]]; then PATH=$SSH_PATH DAPHNE_WORKER_STOP_TIMEOUT=2 "$SSHW" stop --dir "$d" >/dev/null 2>&1 || true; fi
    done
    for pid in ${OUR_PIDS[@]+"${OUR_PIDS[@]}"}; do
        if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    if [[ -n $WATCHDOG ]]; then kill -TERM "$WATCHDOG" 2>/dev/null || true; fi
    rm -rf -- "$TMP"
    if ((rc == 0)); then
        echo "$PROG: $PASSED passed, 0 failed"
    else
        echo "$PROG: $PASSED passed, 1 failed"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "$PROG: interrupted" >&2; exit 130' INT
trap 'echo "$PROG: stopped (timeout after ${TEST_TIMEOUT}s?)" >&2; exit 124' TERM

# The watchdog: TERM to this script after TEST_TIMEOUT seconds (its sleep ends with it).
(
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$TEST_TIMEOUT" >/dev/null 2>&1 &
    sp=$!
    wait "$sp"
    kill -TERM $$ 2>/dev/null
) </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

fail() {
    echo "$PROG: FAIL: $*" >&2
    exit 1
}

ok() {
    PASSED=$((PASSED + 1))
    echo "ok $PASSED - $*"
}

# Runs a command with its output in $TMP/out and $TMP/err; its exit status in RC. In the
# background with `wait`, so that the watchdog's TERM is handled at once (cleanup stops it).
RC=0
RUN_PID=''
run() {
    RC=0
    "$@" >"$TMP/out" 2>"$TMP/err" &
    RUN_PID=$!
    wait "$RUN_PID" || RC=$?
    RUN_PID=''
}

show() {
    echo "--- stdout:" >&2
    cat "$TMP/out" >&2
    echo "--- stderr:" >&2
    cat "$TMP/err" >&2
}

# Sets PORTS to COUNT consecutive ports of 127.0.0.1 where nothing accepts connections.
PORTS=()
free_ports() {
    local count=$1 base p tries i busy
    for ((tries = 0; tries < 50; tries++)); do
        base=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
        busy=0
        for ((i = 0; i < count; i++)); do
            p=$((base + i))
            if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then busy=1; break; fi
        done
        if ((busy == 0)); then
            PORTS=()
            for ((i = 0; i < count; i++)); do PORTS+=($((base + i))); done
            return 0
        fi
    done
    fail "found no free ports"
}

# The daphne run on DISTRIBUTED_WORKERS ($1) must print the expected output, with every pipeline
# on the workers. Extra environment: the remaining arguments (NAME=VALUE).
check_daphne_run() {
    local workers=$1 n
    shift
    run env "$@" DISTRIBUTED_WORKERS="$workers" timeout 120 "$DAPHNE" --distributed --dist-stats "$TEST_SCRIPT"
    ((RC == 0)) || { show; fail "daphne --distributed on $workers exited $RC"; }
    diff -u "$EXPECTED" "$TMP/out" >&2 || fail "daphne printed something else than $EXPECTED"
    n=$(awk -F, '{ print NF }' <<<"$workers")
    grep -q "distributed on $n workers: [1-9][0-9]* pipelines on workers, 0 on the coordinator" "$TMP/err" ||
        { show; fail "the pipelines did not all run on the $n workers"; }
}

pids_of_dir() {
    cat "$1"/worker-*.pid 2>/dev/null || true
}

cd "$TMP"
export DAPHNE_WORKER_BIN=$WORKER
unset DISTRIBUTED_WORKERS DAPHNE_WORKER_TOKEN

# --- 1. local-workers.sh -------------------------------------------------------------------------

echo "# local-workers.sh (workers from $BIN_DIR)"
run "$LOCAL" --help
((RC == 0)) && grep -q 'start N' "$TMP/out" || { show; fail "--help"; }
ok "local-workers.sh --help"

# The default state directory is .daphne-workers in the current directory ($TMP); it is moved
# under the name local-default for the cleanup as soon as the workers are up.
run "$LOCAL" start 3 --threads 1 --data-dir "$TMP"
mapfile -t pids < <(pids_of_dir .daphne-workers)
OUR_PIDS+=(${pids[@]+"${pids[@]}"})
((RC == 0)) || { show; fail "local start 3 exited $RC"; }
mv .daphne-workers local-default
D=$TMP/local-default
line=$(cat "$TMP/out")
[[ $line =~ ^export\ DISTRIBUTED_WORKERS=(127\.0\.0\.1:[1-9][0-9]*,){2}127\.0\.0\.1:[1-9][0-9]*$ ]] ||
    { show; fail "local start printed \`$line\`"; }
((${#pids[@]} == 3)) || fail "expected 3 pid files, found ${#pids[@]}"
for pid in "${pids[@]}"; do running "$pid" || fail "worker pid $pid is not running"; done
for pid in "${pids[@]}"; do
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--data-dir $TMP " || fail "worker pid $pid did not get --data-dir"
done
[[ $(wc -l <"$D/addresses") -eq 3 ]] || fail "addresses file: $(cat "$D/addresses")"
ok "local start 3: $line"

run "$LOCAL" list --dir "$D"
((RC == 0)) || { show; fail "local list exited $RC"; }
[[ $(grep -c ' alive$' "$TMP/out") -eq 3 ]] || { show; fail "local list does not show 3 alive workers"; }
for pid in "${pids[@]}"; do grep -q "^[0-9]* *$pid " "$TMP/out" || { show; fail "list lacks pid $pid"; }; done
ok "local list: 3 alive"

run "$LOCAL" env --dir "$D"
((RC == 0)) && [[ $(cat "$TMP/out") == "$line" ]] || { show; fail "local env differs from start's line"; }
ok "local env prints the same line"

workers=${line#export DISTRIBUTED_WORKERS=}
check_daphne_run "$workers"
ok "daphne --distributed ran ${TEST_SCRIPT#"$REPO"/} on the 3 local workers"

run "$LOCAL" start 2 --dir "$D"
((RC != 0)) && grep -q 'running' "$TMP/err" || { show; fail "a second start on running workers did not fail"; }
[[ $(pids_of_dir "$D" | tr '\n' ' ') == "${pids[*]} " ]] || fail "the failed second start changed the pid files"
ok "local start refuses while workers run"

run "$LOCAL" stop --dir "$D"
((RC == 0)) || { show; fail "local stop exited $RC"; }
for pid in "${pids[@]}"; do ! running "$pid" || fail "worker pid $pid still runs after stop"; done
compgen -G "$D/worker-*.pid" >/dev/null && fail "pid files left after stop"
[[ ! -e $D/addresses ]] || fail "addresses file left after stop"
grep -q '(0 needed SIGKILL' "$TMP/err" || { show; fail "stop needed SIGKILL"; }
ok "local stop: the 3 workers ended on SIGTERM"

run "$LOCAL" list --dir "$D"
((RC != 0)) || { show; fail "list after stop succeeded"; }
ok "local list after stop reports no workers"

free_ports 3
p0=${PORTS[0]} p1=${PORTS[1]} p2=${PORTS[2]}
D=$TMP/local-base
run "$LOCAL" start 2 --base-port "$p1" --dir "$D"
mapfile -t pids < <(pids_of_dir "$D")
OUR_PIDS+=(${pids[@]+"${pids[@]}"})
((RC == 0)) || { show; fail "start --base-port $p1 exited $RC"; }
[[ $(cat "$TMP/out") == "export DISTRIBUTED_WORKERS=127.0.0.1:$p1,127.0.0.1:$p2" ]] || { show; fail "--base-port addresses"; }
ok "local start 2 --base-port $p1: ports $p1 and $p2"

# Port p1 is taken now: a start on p0, p1 gets worker 1 up and worker 2 fails; worker 1 must go.
D2=$TMP/local-taken
run "$LOCAL" start 2 --base-port "$p0" --dir "$D2"
((RC != 0)) && grep -q 'exited before it was ready' "$TMP/err" && grep -q 'in use' "$TMP/err" ||
    { show; fail "a start on a taken port did not fail clearly"; }
pgrep -f "DistributedWorker 127\.0\.0\.1:$p0\$" >/dev/null && fail "the worker on port $p0 was not stopped"
compgen -G "$D2/worker-*.pid" >/dev/null && fail "pid files left by the failed start"
ok "local start with a taken port fails and stops the worker it started"

run "$LOCAL" stop --dir "$D"
((RC == 0)) || { show; fail "stop of the --base-port workers exited $RC"; }
for pid in "${pids[@]}"; do ! running "$pid" || fail "worker pid $pid still runs after stop"; done

# A "worker" that never prints its banner, and one that ignores SIGTERM.
cat >"$TMP/silent-worker" <<EOF
#!/usr/bin/env bash
echo \$\$ >>"$TMP/silent.pids"
exec sleep 60
EOF
cat >"$TMP/stubborn-worker" <<'EOF'
#!/usr/bin/env bash
trap '' TERM
echo "Started Distributed Worker on \`127.0.0.1:1\`"
while :; do sleep 0.2; done
EOF
chmod +x "$TMP/silent-worker" "$TMP/stubborn-worker"
run env DAPHNE_WORKER_BIN="$TMP/silent-worker" DAPHNE_WORKER_START_TIMEOUT=1 "$LOCAL" start 2 --dir "$TMP/local-silent"
mapfile -t silent < <(cat "$TMP/silent.pids" 2>/dev/null)
OUR_PIDS+=(${silent[@]+"${silent[@]}"})
((RC != 0)) && grep -qF "printed no \`Started Distributed Worker\` line within 1s" "$TMP/err" ||
    { show; fail "a worker without banner did not make start fail"; }
((${#silent[@]} == 2)) || fail "the silent workers did not start"
for pid in "${silent[@]}"; do ! running "$pid" || fail "silent worker $pid was not stopped"; done
ok "local start fails within the timeout when no banner comes, and stops its workers"

D=$TMP/local-stubborn
run env DAPHNE_WORKER_BIN="$TMP/stubborn-worker" "$LOCAL" start 1 --dir "$D"
mapfile -t pids < <(pids_of_dir "$D")
OUR_PIDS+=(${pids[@]+"${pids[@]}"})
((RC == 0)) || { show; fail "start of the stubborn worker exited $RC"; }
run env DAPHNE_WORKER_STOP_TIMEOUT=1 "$LOCAL" stop --dir "$D"
((RC == 0)) && grep -q '(1 needed SIGKILL' "$TMP/err" || { show; fail "stop did not SIGKILL a worker ignoring SIGTERM"; }
for pid in "${pids[@]}"; do ! running "$pid" || fail "stubborn worker $pid still runs"; done
ok "local stop SIGKILLs a worker that ignores SIGTERM"

# --- 2. ssh-workers.sh with a stand-in ssh ---------------------------------------------------------

echo "# ssh-workers.sh (stand-in ssh running the remote commands locally)"
mkdir -p "$TMP/fakebin" "$TMP/remote-home"
cat >"$TMP/fakebin/ssh" <<'EOF'
#!/usr/bin/env bash
# Stand-in ssh for deploy/test.sh: runs the remote command (the last argument) locally with bash
# in $FAKE_SSH_HOME; refuses every host but 127.0.0.1. Logs `CALL host` lines to $FAKE_SSH_LOG and
# its whole command lines to $FAKE_SSH_LOG.args.
set -euo pipefail
args=("$@")
host=''
i=0
while ((i < ${#args[@]})); do
    case ${args[i]} in
        -[bcDEeFIiJLlmOoPpQRSWw]) i=$((i + 2)) ;;
        -*) i=$((i + 1)) ;;
        *) host=${args[i]}; break ;;
    esac
done
[[ ${host#*@} == 127.0.0.1 ]] || { echo "fake ssh: refusing host '$host'" >&2; exit 255; }
printf 'CALL %s\n' "$host" >>"$FAKE_SSH_LOG"
printf '%s\n' "$*" >>"$FAKE_SSH_LOG.args"
cd "$FAKE_SSH_HOME"
exec bash -c "${args[-1]}"
EOF
chmod +x "$TMP/fakebin/ssh"
export FAKE_SSH_HOME=$TMP/remote-home FAKE_SSH_LOG=$TMP/ssh-args.log

run env PATH="$SSH_PATH" "$SSHW" --help
((RC == 0)) && grep -q 'start HOSTFILE' "$TMP/out" || { show; fail "ssh-workers.sh --help"; }
ok "ssh-workers.sh --help"

free_ports 3
s1=${PORTS[0]} s2=${PORTS[1]} s3=${PORTS[2]}
user=$(id -un)
cat >"$TMP/hosts" <<EOF
# three workers on this machine
127.0.0.1:$s1
$user@127.0.0.1:$s2   # with a user name

127.0.0.1:$s3
EOF
TOKEN=deploy-test-token-$RANDOM$RANDOM
D=$TMP/ssh-main
run env PATH="$SSH_PATH" DAPHNE_WORKER_TOKEN="$TOKEN" "$SSHW" start "$TMP/hosts" --bin "$WORKER" --dir "$D" --threads 1 --data-dir "$TMP"
mapfile -t spids < <(cut -f3 "$D/workers" 2>/dev/null)
OUR_PIDS+=(${spids[@]+"${spids[@]}"})
((RC == 0)) || { show; fail "ssh start exited $RC"; }
sline="export DISTRIBUTED_WORKERS=127.0.0.1:$s1,127.0.0.1:$s2,127.0.0.1:$s3"
[[ $(cat "$TMP/out") == "$sline" ]] || { show; fail "ssh start printed something else than \`$sline\`"; }
((${#spids[@]} == 3)) || fail "expected 3 recorded workers"
for pid in "${spids[@]}"; do running "$pid" || fail "ssh worker pid $pid is not running"; done
for pid in "${spids[@]}"; do
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--data-dir $TMP " || fail "ssh worker pid $pid did not get --data-dir"
done
[[ $(grep -c '^CALL ' "$FAKE_SSH_LOG") -eq 3 ]] || fail "expected 3 ssh calls: $(cat "$FAKE_SSH_LOG")"
grep -qx "CALL $user@127.0.0.1" "$FAKE_SSH_LOG" || fail "no ssh call to $user@127.0.0.1"
grep -qF "$TOKEN" "$FAKE_SSH_LOG.args" && fail "the token appeared on an ssh command line"
[[ $(find "$FAKE_SSH_HOME/.daphne-workers" -name 'worker-*.log' | wc -l) -eq 3 ]] || fail "remote logs missing"
ok "ssh start of 3 workers (token on standard input): $sline"

run env PATH="$SSH_PATH" "$SSHW" list --dir "$D"
((RC == 0)) && [[ $(grep -c ' alive$' "$TMP/out") -eq 3 ]] || { show; fail "ssh list does not show 3 alive workers"; }
ok "ssh list: 3 alive"

run "$SSHW" env --dir "$D"
((RC == 0)) && [[ $(cat "$TMP/out") == "$sline" ]] || { show; fail "ssh env differs from start's line"; }
ok "ssh env prints the same line"

check_daphne_run "${sline#export DISTRIBUTED_WORKERS=}" DAPHNE_WORKER_TOKEN="$TOKEN"
ok "daphne --distributed with the token ran on the 3 ssh workers"

run env DISTRIBUTED_WORKERS="${sline#export DISTRIBUTED_WORKERS=}" timeout 120 "$DAPHNE" --distributed "$TEST_SCRIPT"
((RC != 0)) && grep -q 'token' "$TMP/err" || { show; fail "daphne without the token was not refused"; }
ok "daphne without the token is refused by the ssh workers"

run env PATH="$SSH_PATH" "$SSHW" start "$TMP/hosts" --bin "$WORKER" --dir "$D"
((RC != 0)) && grep -q 'stop them first' "$TMP/err" || { show; fail "a second ssh start did not fail"; }
ok "ssh start refuses while workers are recorded"

# One host's port is taken (by worker s1): the other host's worker must be stopped again.
printf '127.0.0.1:0\n127.0.0.1:%s\n' "$s1" >"$TMP/hosts-taken"
run env PATH="$SSH_PATH" "$SSHW" start "$TMP/hosts-taken" --bin "$WORKER" --dir "$TMP/ssh-taken" --remote-dir "$TMP/remote-taken"
mapfile -t tpids < <(find "$TMP/remote-taken" -name 'worker-*.log' | sed 's/.*worker-\([0-9]*\)\.log$/\1/')
OUR_PIDS+=(${tpids[@]+"${tpids[@]}"})
((RC != 0)) && grep -q 'in use' "$TMP/err" || { show; fail "ssh start with a taken port did not fail clearly"; }
((${#tpids[@]} == 2)) || fail "expected 2 remote logs, found ${#tpids[@]}"
for pid in "${tpids[@]}"; do ! running "$pid" || fail "worker $pid of the failed ssh start still runs"; done
[[ ! -e $TMP/ssh-taken/workers ]] || fail "the failed ssh start recorded workers"
ok "ssh start with one failing host fails and stops the others"

# A host that cannot be reached (the stand-in ssh refuses it; no traffic leaves the machine).
printf '127.0.0.1:0\n192.0.2.1:%s\n' "$s1" >"$TMP/hosts-unreachable"
run env PATH="$SSH_PATH" DAPHNE_WORKER_TOKEN="$TOKEN" "$SSHW" start "$TMP/hosts-unreachable" --bin "$WORKER" --dir "$TMP/ssh-unreachable" --remote-dir "$TMP/remote-unreachable"
mapfile -t upids < <(find "$TMP/remote-unreachable" -name 'worker-*.log' | sed 's/.*worker-\([0-9]*\)\.log$/\1/')
OUR_PIDS+=(${upids[@]+"${upids[@]}"})
((RC != 0)) && grep -q "refusing host '192.0.2.1'" "$TMP/err" || { show; fail "ssh start with an unreachable host did not fail clearly"; }
for pid in ${upids[@]+"${upids[@]}"}; do ! running "$pid" || fail "worker $pid of the failed ssh start still runs"; done
ok "ssh start with an unreachable host fails and stops the others"

printf '%s@127.0.0.1\n' "$user" >"$TMP/hosts-one"
run env PATH="$SSH_PATH" "$SSHW" stop "$TMP/hosts-one" --dir "$D"
((RC == 0)) || { show; fail "ssh stop HOSTFILE exited $RC"; }
! running "${spids[1]}" || fail "the worker of $user@127.0.0.1 still runs"
running "${spids[0]}" && running "${spids[2]}" || fail "ssh stop HOSTFILE stopped other hosts' workers"
[[ $(paste -sd, "$D/addresses") == "127.0.0.1:$s1,127.0.0.1:$s3" ]] || fail "addresses after a partial stop: $(cat "$D/addresses")"
ok "ssh stop HOSTFILE stops only the workers of those hosts"

run env PATH="$SSH_PATH" "$SSHW" stop --dir "$D"
((RC == 0)) || { show; fail "ssh stop exited $RC"; }
for pid in "${spids[@]}"; do ! running "$pid" || fail "ssh worker $pid still runs after stop"; done
[[ ! -e $D/workers && ! -e $D/addresses ]] || fail "ssh state left after stop"
grep -q 'killed' "$TMP/err" && { show; fail "ssh stop needed SIGKILL"; }
ok "ssh stop: the workers ended on SIGTERM"

# --- 3. static checks ----------------------------------------------------------------------------

echo "# static checks"
bash -n "$DEPLOY/slurm-workers.sbatch" || fail "bash -n slurm-workers.sbatch"
ok "bash -n slurm-workers.sbatch"
bash -n "$DEPLOY/slurm-mpi.sbatch" || fail "bash -n slurm-mpi.sbatch"
ok "bash -n slurm-mpi.sbatch"
if [[ ${DAPHNE_DEPLOY_TEST_SHELLCHECK:-1} == 0 ]]; then
    echo "# shellcheck skipped (DAPHNE_DEPLOY_TEST_SHELLCHECK=0)"
elif command -v shellcheck >/dev/null 2>&1; then
    shellcheck "$DEPLOY"/*.sh "$DEPLOY/slurm-workers.sbatch" "$DEPLOY/slurm-mpi.sbatch" >&2 || fail "shellcheck"
    ok "shellcheck of the deploy scripts"
else
    echo "# shellcheck not installed: skipped"
fi

for pid in ${OUR_PIDS[@]+"${OUR_PIDS[@]}"}; do
    ! running "$pid" || fail "process $pid started by the test still runs"
done
ok "no process started by the test remains (${#OUR_PIDS[@]} checked)"
