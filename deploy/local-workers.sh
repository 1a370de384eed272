#!/usr/bin/env bash
# local-workers.sh: start, list and stop DAPHNE `DistributedWorker` processes on this machine.
#
# The workers listen on 127.0.0.1 only, so nothing outside this machine can reach them. Their
# state is kept in a directory (default `.daphne-workers/` under the current directory):
#   worker-I.pid      the process id of worker I (1-based)
#   worker-I.started  its start time as `ps -o lstart=` shows it: `stop` signals a pid only while
#                     it still belongs to the process that `start` launched (pids get reused)
#   worker-I.log      its standard output and error (kept after `stop`)
#   addresses         one `127.0.0.1:PORT` per line, in worker order
# `start` prints `export DISTRIBUTED_WORKERS=...` on standard output (everything else goes to
# standard error), so `eval "$(deploy/local-workers.sh start 3)"` sets up the current shell.
#
# The worker binary is `$DAPHNE_WORKER_BIN` if set, else `target/release/DistributedWorker` of the
# repository this script lives in, else `DistributedWorker` on PATH. A `DAPHNE_WORKER_TOKEN` in
# the environment of `start` is inherited by the workers (the coordinator then needs the same).
# Run `local-workers.sh --help` for the subcommands.
set -euo pipefail

PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
BANNER_PREFIX='Started Distributed Worker on `'
START_TIMEOUT=${DAPHNE_WORKER_START_TIMEOUT:-20}
STOP_TIMEOUT=${DAPHNE_WORKER_STOP_TIMEOUT:-10}
DEFAULT_DIR=.daphne-workers

usage() {
    cat <<EOF
Usage:
  $PROG start N [--base-port P] [--threads T] [--data-dir DATA] [--dir D]
  $PROG list [--dir D]
  $PROG stop [--dir D]
  $PROG env [--dir D]
  $PROG --help

Runs DAPHNE DistributedWorker processes on 127.0.0.1 of this machine.

  start N   Start N workers on 127.0.0.1, on ports P, P+1, ... with --base-port, else on free
            ports chosen by the system (read back from each worker's banner line). Waits up to
            ${START_TIMEOUT}s for every banner; if a worker does not come up, stops the ones it
            started and fails. Prints \`export DISTRIBUTED_WORKERS=...\` on standard output.
            --threads T is passed to the workers as --num-threads T, --data-dir DATA as
            --data-dir DATA (they read files under DATA; without it they read none).
            Refuses to start while workers of the same state directory are running.
  list      Show each worker's number, pid, address and whether it is alive.
            Exit status 0 if workers are recorded and all are alive, 1 otherwise.
  stop      SIGTERM every worker, wait up to ${STOP_TIMEOUT}s, SIGKILL what is left, remove the
            pid files and the addresses file (the logs stay).
  env       Print \`export DISTRIBUTED_WORKERS=...\` for the running workers.

Options:
  --dir D   State directory (pid files, logs, \`addresses\`); default ./$DEFAULT_DIR

Environment:
  DAPHNE_WORKER_BIN            the DistributedWorker binary (default: target/release/DistributedWorker
                               of this repository, else DistributedWorker on PATH)
  DAPHNE_WORKER_START_TIMEOUT  seconds to wait for the workers' banners (default 20)
  DAPHNE_WORKER_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL (default 10)
  DAPHNE_WORKER_TOKEN          if set at \`start\`, the workers require this token (give the
                               coordinator the same)

Example:
  eval "\$($PROG start 3)"
  target/release/daphne --distributed scripts/examples/distributed.daph
  $PROG stop
EOF
}

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

note() {
    printf '%s: %s\n' "$PROG" "$*" >&2
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

# Short sleeps where supported (GNU, BSD, busybox); whole seconds otherwise.
nap() {
    sleep 0.1 2>/dev/null || sleep 1
}

# The worker binary, as an absolute path when it is a file.
find_bin() {
    local b
    if [[ -n ${DAPHNE_WORKER_BIN:-} ]]; then
        b=$DAPHNE_WORKER_BIN
        if [[ $b != */* ]]; then
            b=$(command -v -- "$b") || die "DAPHNE_WORKER_BIN=$DAPHNE_WORKER_BIN is not on PATH"
        fi
        [[ -f $b && -x $b ]] || die "DAPHNE_WORKER_BIN=$DAPHNE_WORKER_BIN is not an executable file"
    elif [[ -x $REPO_ROOT/target/release/DistributedWorker ]]; then
        b=$REPO_ROOT/target/release/DistributedWorker
    elif b=$(command -v DistributedWorker); then
        :
    else
        die "no DistributedWorker binary: set DAPHNE_WORKER_BIN, run \`cargo build --release\` in $REPO_ROOT, or put DistributedWorker on PATH"
    fi
    if [[ $b != /* ]]; then
        b=$(cd "$(dirname "$b")" && pwd)/${b##*/}
    fi
    printf '%s\n' "$b"
}

# The start time of a process, empty if it does not exist (or ps cannot tell).
start_time() {
    ps -o lstart= -p "$1" 2>/dev/null | sed 's/^ *//;s/ *$//' || true
}

# Whether a process runs (exists and is not a zombie).
running() {
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [[ $stat != Z* ]]
}

# Whether worker I of the state directory runs: its pid is alive and still has the recorded start
# time (a pid reused by another process does not count).
worker_alive() {
    local dir=$1 i=$2 pid recorded now
    [[ -f $dir/worker-$i.pid ]] || return 1
    pid=$(<"$dir/worker-$i.pid")
    is_uint "$pid" || return 1
    running "$pid" || return 1
    recorded=$(cat "$dir/worker-$i.started" 2>/dev/null || true)
    now=$(start_time "$pid")
    [[ -z $recorded || -z $now || $recorded == "$now" ]]
}

# The worker numbers that have a pid file, in order.
worker_ids() {
    local dir=$1 f n
    local -a ids=()
    shopt -s nullglob
    for f in "$dir"/worker-*.pid; do
        n=${f##*/worker-}
        n=${n%.pid}
        is_uint "$n" && ids+=("$n")
    done
    shopt -u nullglob
    ((${#ids[@]})) || return 0
    printf '%s\n' "${ids[@]}" | sort -n
}

# The address of worker I (line I of `addresses`), or `?`.
worker_addr() {
    local a
    a=$(sed -n "${2}p" "$1/addresses" 2>/dev/null || true)
    printf '%s\n' "${a:-?}"
}

export_line() {
    local dir=$1 list
    [[ -s $dir/addresses ]] || return 1
    list=$(paste -sd, "$dir/addresses")
    printf 'export DISTRIBUTED_WORKERS=%s\n' "$list"
}

# Parses `--dir D` (the only option of list/stop/env); sets DIR.
parse_dir_only() {
    DIR=$DEFAULT_DIR
    while (($#)); do
        case $1 in
            --dir) (($# >= 2)) || die "--dir needs a directory"; DIR=$2; shift 2 ;;
            --dir=*) DIR=${1#--dir=}; shift ;;
            -h | --help) usage; exit 0 ;;
            *) die "unexpected argument \`$1\` (see --help)" ;;
        esac
    done
}

# Sends SIGTERM to the given pids, waits up to STOP_TIMEOUT seconds, then SIGKILLs the rest.
# Prints how many had to be killed.
terminate_pids() {
    local pid killed=0 deadline
    local -a left=()
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    deadline=$((SECONDS + STOP_TIMEOUT))
    while :; do
        left=()
        for pid in "$@"; do
            if running "$pid"; then left+=("$pid"); fi
        done
        ((${#left[@]})) || break
        ((SECONDS < deadline)) || break
        nap
    done
    if ((${#left[@]})); then
        for pid in "${left[@]}"; do
            kill -KILL "$pid" 2>/dev/null || true
            killed=$((killed + 1))
        done
        deadline=$((SECONDS + 5))
        for pid in "${left[@]}"; do
            while running "$pid" && ((SECONDS < deadline)); do nap; done
        done
    fi
    printf '%s\n' "$killed"
}

# --- start -------------------------------------------------------------------------------------

STARTED_PIDS=()
START_DIR=

abort_start() {
    trap - INT TERM HUP
    if ((${#STARTED_PIDS[@]})); then
        note "stopping the ${#STARTED_PIDS[@]} worker(s) started"
        terminate_pids "${STARTED_PIDS[@]}" >/dev/null
    fi
    rm -f "$START_DIR"/worker-*.pid "$START_DIR"/worker-*.started "$START_DIR/addresses"
}

INTERRUPTED=''
check_interrupted() {
    if [[ -n $INTERRUPTED ]]; then
        note "interrupted"
        abort_start
        exit "$INTERRUPTED"
    fi
}

cmd_start() {
    local n='' base_port='' threads='' data_dir='' i
    DIR=$DEFAULT_DIR
    while (($#)); do
        case $1 in
            --base-port) (($# >= 2)) || die "--base-port needs a port"; base_port=$2; shift 2 ;;
            --base-port=*) base_port=${1#*=}; shift ;;
            --threads) (($# >= 2)) || die "--threads needs a number"; threads=$2; shift 2 ;;
            --threads=*) threads=${1#*=}; shift ;;
            --data-dir) (($# >= 2)) || die "--data-dir needs a directory"; data_dir=$2; shift 2 ;;
            --data-dir=*) data_dir=${1#*=}; shift ;;
            --dir) (($# >= 2)) || die "--dir needs a directory"; DIR=$2; shift 2 ;;
            --dir=*) DIR=${1#*=}; shift ;;
            -h | --help) usage; exit 0 ;;
            -*) die "unknown option \`$1\` (see --help)" ;;
            *) [[ -z $n ]] || die "unexpected argument \`$1\` (see --help)"; n=$1; shift ;;
        esac
    done
    [[ -n $n ]] || die "start needs the number of workers (see --help)"
    if ! is_uint "$n" || ((${#n} > 4 || 10#$n < 1)); then
        die "the number of workers must be an integer from 1 to 9999, not \`$n\`"
    fi
    n=$((10#$n))
    if [[ -n $base_port ]]; then
        if ! is_uint "$base_port" || ((${#base_port} > 5 || 10#$base_port < 1 || 10#$base_port + n - 1 > 65535)); then
            die "--base-port must be a port such that $n consecutive ports fit below 65536, not \`$base_port\`"
        fi
        base_port=$((10#$base_port))
    fi
    if [[ -n $threads ]]; then
        if ! is_uint "$threads" || ((${#threads} > 6)); then
            die "--threads must be a non-negative integer, not \`$threads\`"
        fi
    fi
    is_uint "$START_TIMEOUT" || die "DAPHNE_WORKER_START_TIMEOUT must be whole seconds"
    is_uint "$STOP_TIMEOUT" || die "DAPHNE_WORKER_STOP_TIMEOUT must be whole seconds"

    local bin
    bin=$(find_bin)
    mkdir -p -- "$DIR"
    for i in $(worker_ids "$DIR"); do
        if worker_alive "$DIR" "$i"; then
            die "workers of $DIR are running (see \`$PROG list --dir $DIR\`): stop them first with \`$PROG stop --dir $DIR\`"
        fi
    done
    # Leftovers of an earlier run whose workers are all gone.
    rm -f "$DIR"/worker-*.pid "$DIR"/worker-*.started "$DIR"/worker-*.log "$DIR/addresses"

    # A signal only sets INTERRUPTED; it is acted on between steps, so that no worker is launched
    # without being recorded in STARTED_PIDS.
    START_DIR=$DIR
    INTERRUPTED=''
    trap 'INTERRUPTED=130' INT
    trap 'INTERRUPTED=143' TERM
    trap 'INTERRUPTED=129' HUP
    local -a args=()
    [[ -n $threads ]] && args+=(--num-threads "$threads")
    [[ -n $data_dir ]] && args+=(--data-dir "$data_dir")
    local port pid log
    local -a ports=()
    for ((i = 1; i <= n; i++)); do
        if [[ -n $base_port ]]; then port=$((base_port + i - 1)); else port=0; fi
        ports+=("$port")
        log=$DIR/worker-$i.log
        # nohup: the worker survives the end of this terminal session.
        nohup "$bin" ${args[@]+"${args[@]}"} "127.0.0.1:$port" >"$log" 2>&1 </dev/null &
        pid=$!
        STARTED_PIDS+=("$pid")
        printf '%s\n' "$pid" >"$DIR/worker-$i.pid"
        start_time "$pid" >"$DIR/worker-$i.started"
        check_interrupted
    done

    # Wait for every banner, all workers sharing one deadline.
    local deadline=$((SECONDS + START_TIMEOUT)) line addr
    local -a addrs=()
    for ((i = 1; i <= n; i++)); do
        pid=${STARTED_PIDS[i - 1]}
        log=$DIR/worker-$i.log
        while :; do
            line=$(grep -m1 -F -- "$BANNER_PREFIX" "$log" 2>/dev/null || true)
            if [[ -n $line ]]; then
                addr=${line#*"$BANNER_PREFIX"}
                addr=${addr%%\`*}
                break
            fi
            if ! running "$pid"; then
                note "worker $i (pid $pid, 127.0.0.1:${ports[i - 1]}) exited before it was ready; its log $log:"
                sed 's/^/    /' "$log" >&2 || true
                abort_start
                exit 1
            fi
            if ((SECONDS >= deadline)); then
                note "worker $i (pid $pid) printed no \`Started Distributed Worker\` line within ${START_TIMEOUT}s; its log $log:"
                sed 's/^/    /' "$log" >&2 || true
                abort_start
                exit 1
            fi
            nap
            check_interrupted
        done
        addrs+=("$addr")
    done
    trap - INT TERM HUP
    printf '%s\n' "${addrs[@]}" >"$DIR/addresses.tmp"
    mv -f "$DIR/addresses.tmp" "$DIR/addresses"
    note "started $n worker(s) with $bin: ${addrs[*]} (state in $DIR)"
    export_line "$DIR"
}

# --- list, stop, env ---------------------------------------------------------------------------

cmd_list() {
    parse_dir_only "$@"
    local -a ids
    mapfile -t ids < <(worker_ids "$DIR")
    if ((${#ids[@]} == 0)); then
        note "no workers recorded in $DIR"
        return 1
    fi
    local i pid state all=0
    printf '%-7s %-8s %-22s %s\n' WORKER PID ADDRESS STATE
    for i in "${ids[@]}"; do
        pid=$(<"$DIR/worker-$i.pid")
        if worker_alive "$DIR" "$i"; then state=alive; else state=dead; all=1; fi
        printf '%-7s %-8s %-22s %s\n' "$i" "$pid" "$(worker_addr "$DIR" "$i")" "$state"
    done
    return "$all"
}

cmd_stop() {
    parse_dir_only "$@"
    is_uint "$STOP_TIMEOUT" || die "DAPHNE_WORKER_STOP_TIMEOUT must be whole seconds"
    local -a ids pids=()
    mapfile -t ids < <(worker_ids "$DIR")
    if ((${#ids[@]} == 0)); then
        note "no workers recorded in $DIR"
        rm -f "$DIR/addresses"
        return 0
    fi
    local i gone=0 killed
    for i in "${ids[@]}"; do
        if worker_alive "$DIR" "$i"; then
            pids+=("$(<"$DIR/worker-$i.pid")")
        else
            gone=$((gone + 1))
        fi
    done
    killed=0
    if ((${#pids[@]})); then
        killed=$(terminate_pids "${pids[@]}")
    fi
    rm -f "$DIR"/worker-*.pid "$DIR"/worker-*.started "$DIR/addresses"
    note "stopped ${#pids[@]} worker(s) of $DIR ($killed needed SIGKILL; $gone were not running)"
}

cmd_env() {
    parse_dir_only "$@"
    export_line "$DIR" || die "no workers recorded in $DIR (start them with \`$PROG start N --dir $DIR\`)"
    local i
    for i in $(worker_ids "$DIR"); do
        worker_alive "$DIR" "$i" || note "warning: worker $i ($(worker_addr "$DIR" "$i")) is not running"
    done
}

main() {
    (($#)) || { usage >&2; exit 2; }
    local cmd=$1
    shift
    case $cmd in
        start) cmd_start "$@" ;;
        list) cmd_list "$@" ;;
        stop) cmd_stop "$@" ;;
        env) cmd_env "$@" ;;
        -h | --help | help) usage ;;
        *) note "unknown subcommand \`$cmd\`"; usage >&2; exit 2 ;;
    esac
}

main "$@"
