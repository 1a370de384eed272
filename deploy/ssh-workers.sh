#!/usr/bin/env bash
# ssh-workers.sh: start, list and stop DAPHNE `DistributedWorker` processes on other machines
# over ssh, one per line of a host file, and print the DISTRIBUTED_WORKERS line for `daphne`.
#
# Host file: one worker per line, `host`, `host:port`, `user@host:port` or `[IPv6]:port`; text
# after `#` and blank lines are ignored; a host may appear several times with different ports.
# Port 0 lets the worker pick a free port (read back from its banner line).
#
# Each worker is started as `nohup DistributedWorker [--num-threads T] [--data-dir DATA] BIND:PORT` in the remote
# login shell (which must be POSIX-like: sh, bash, zsh, ksh), with its log in a remote directory
# (default `.daphne-workers/` under the remote home). BIND is the address of the host as given in
# the host file (a name is resolved here, on the coordinator's side, because DistributedWorker
# takes an IP address), or `--bind IP` for every worker (e.g. 0.0.0.0 behind NAT). The addresses
# that the coordinator connects to are the host file's `host:port`.
#
# SECURITY: the workers listen on that address, not on loopback, and a worker runs whatever
# pipelines a coordinator that reaches it sends. Make the address reachable from the coordinator
# only: a private network or a firewall that admits the coordinator's host alone. Setting
# DAPHNE_WORKER_TOKEN here (and for `daphne`) makes every worker require that shared token; it is
# sent to the remote side on ssh's standard input (not on a command line) and kept in the worker's
# environment. The token travels in clear text between coordinator and workers (the protocol has
# no TLS), so it complements a private network rather than replacing it.
#
# Local state (default `.daphne-ssh-workers/` under the current directory):
#   workers    one line per worker: ssh target, address, remote pid, remote start time
#              (`ps -o lstart=`, so that a reused pid is never signalled), remote log, tab-separated
#   addresses  one `host:port` per line, in host file order
# Run `ssh-workers.sh --help` for the subcommands.
set -euo pipefail

PROG=${0##*/}
DEFAULT_DIR=.daphne-ssh-workers
DEFAULT_PORT=50000
DEFAULT_REMOTE_DIR=.daphne-workers
START_TIMEOUT=${DAPHNE_WORKER_START_TIMEOUT:-20}
STOP_TIMEOUT=${DAPHNE_WORKER_STOP_TIMEOUT:-10}
TAB=$'\t'

usage() {
    cat <<EOF
Usage:
  $PROG start HOSTFILE [--port P] [--bin PATH] [--dir D] [--remote-dir R] [--threads T] [--data-dir DATA] [--bind IP]
  $PROG list [--dir D]
  $PROG stop [HOSTFILE] [--dir D]
  $PROG env [--dir D]
  $PROG --help

Runs DAPHNE DistributedWorker processes on the hosts of HOSTFILE over ssh (non-interactive: set up
ssh keys first). HOSTFILE has one worker per line: host, host:port, user@host:port or [IPv6]:port;
'#' starts a comment.

  start HOSTFILE  Start one worker per line with nohup, wait up to ${START_TIMEOUT}s for each banner
                  line, record the remote pids, print \`export DISTRIBUTED_WORKERS=...\` on
                  standard output. If one host fails, the workers started on the others are
                  stopped again and the command fails.
  list            Ask each recorded host whether its worker runs (exit 0 if all do).
  stop [HOSTFILE] SIGTERM the recorded workers (only those of HOSTFILE's hosts if given), SIGKILL
                  after ${STOP_TIMEOUT}s, forget them. A pid is signalled only if it still has the
                  start time recorded for it.
  env             Print \`export DISTRIBUTED_WORKERS=...\` for the recorded workers.

Options:
  --port P        port for lines without one (default $DEFAULT_PORT; 0: a free port)
  --bin PATH      DistributedWorker on the remote hosts (default \$DAPHNE_WORKER_BIN, else
                  DistributedWorker on the remote PATH; prefer an absolute path: a non-interactive
                  ssh session has a short PATH)
  --dir D         local state directory (default ./$DEFAULT_DIR)
  --remote-dir R  remote directory of the logs (default $DEFAULT_REMOTE_DIR, under the remote home)
  --threads T     pass --num-threads T to the workers
  --data-dir DATA pass --data-dir DATA to the workers (they read files under DATA, the same
                  absolute path on every host; without it they read none)
  --bind IP       listen on IP (e.g. 0.0.0.0) instead of the host file's address

Environment:
  DAPHNE_WORKER_TOKEN          if set at \`start\`, every worker requires it (give daphne the same)
  DAPHNE_SSH                   the ssh command (default ssh)
  DAPHNE_SSH_OPTS              extra ssh options, split at spaces (e.g. "-p 2222 -i ~/.ssh/id_daphne")
  DAPHNE_WORKER_START_TIMEOUT  seconds to wait for each banner (default 20)
  DAPHNE_WORKER_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL (default 10)

Security: a worker on a non-loopback address needs DAPHNE_WORKER_TOKEN (without one it refuses
to start; it is sent to the hosts on ssh's standard input, never on a command line). A worker runs
only the tasks the distributed stage emits, but anyone with the token can store data there and use
its cores: keep the workers on a private network or behind a firewall that admits only the
coordinator.

Example:
  printf '%s\n' node1:50000 node2:50000 > hosts
  export DAPHNE_WORKER_TOKEN=\$(openssl rand -hex 24)
  eval "\$($PROG start hosts --bin /opt/daphne/bin/DistributedWorker)"
  daphne --distributed script.daph
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

# Quotes a word for a POSIX shell.
squote() {
    local q="'\\''"
    printf "'%s'" "${1//\'/$q}"
}

# The remote command: `sh -c SCRIPT daphne-worker ARGS...`, every word quoted.
remote_command() {
    local script=$1 cmd a
    shift
    cmd="sh -c $(squote "$script") daphne-worker"
    for a in "$@"; do
        cmd+=" $(squote "$a")"
    done
    printf '%s' "$cmd"
}

# The remote scripts (POSIX sh, expanded on the remote side: hence single quotes). `alive`
# treats a zombie as dead.
# shellcheck disable=SC2016
REMOTE_FUNCS='
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 1 ;; esac
    return 0
}
nap() { sleep 0.1 2>/dev/null || sleep 1; }
'

# Args: BIN BIND_ADDR REMOTE_DIR THREADS TIMEOUT; standard input: one line, the token or empty.
# Prints PID, STARTED, LOG and then UP <banner> or ERROR <why> (and LOG| lines).
# shellcheck disable=SC2016
REMOTE_START=$REMOTE_FUNCS'
bin=$1; bind=$2; dir=$3; threads=$4; timeout=$5; data=$6
token=
IFS= read -r token || :
if [ -n "$token" ]; then DAPHNE_WORKER_TOKEN=$token; export DAPHNE_WORKER_TOKEN; fi
token=
mkdir -p "$dir" || { echo "ERROR cannot create the directory $dir"; exit 1; }
tmplog="$dir/worker-starting-$$.log"
if [ -n "$threads" ]; then set -- --num-threads "$threads" "$bind"; else set -- "$bind"; fi
if [ -n "$data" ]; then set -- --data-dir "$data" "$@"; fi
nohup "$bin" "$@" >"$tmplog" 2>&1 </dev/null &
pid=$!
log="$dir/worker-$pid.log"
mv -f "$tmplog" "$log" 2>/dev/null || log=$tmplog
echo "PID $pid"
echo "STARTED $(ps -o lstart= -p "$pid" 2>/dev/null)"
echo "LOG $log"
end=$(( $(date +%s) + timeout ))
while :; do
    line=$(grep -m1 "^Started Distributed Worker on \`" "$log" 2>/dev/null) || line=
    if [ -n "$line" ]; then echo "UP $line"; exit 0; fi
    if ! alive "$pid"; then
        echo "ERROR the worker exited before it was ready"
        sed "s/^/LOG| /" "$log"
        exit 1
    fi
    if [ "$(date +%s)" -ge "$end" ]; then
        kill -KILL "$pid" 2>/dev/null
        echo "ERROR no banner line within ${timeout}s (worker killed)"
        sed "s/^/LOG| /" "$log"
        exit 1
    fi
    nap
done
'

# Args: PID STARTED TIMEOUT. Prints STOPPED, KILLED or GONE.
# shellcheck disable=SC2016
REMOTE_STOP=$REMOTE_FUNCS'
pid=$1; started=$2; timeout=$3
if ! alive "$pid"; then echo GONE; exit 0; fi
now=$(ps -o lstart= -p "$pid" 2>/dev/null)
if [ -n "$started" ] && [ -n "$now" ] && [ "$now" != "$started" ]; then echo GONE; exit 0; fi
kill -TERM "$pid" 2>/dev/null
end=$(( $(date +%s) + timeout ))
while alive "$pid"; do
    if [ "$(date +%s)" -ge "$end" ]; then
        kill -KILL "$pid" 2>/dev/null
        sleep 1
        echo KILLED
        exit 0
    fi
    nap
done
echo STOPPED
'

# Args: PID STARTED. Prints ALIVE or DEAD.
# shellcheck disable=SC2016
REMOTE_STATUS=$REMOTE_FUNCS'
pid=$1; started=$2
if ! alive "$pid"; then echo DEAD; exit 0; fi
now=$(ps -o lstart= -p "$pid" 2>/dev/null)
if [ -n "$started" ] && [ -n "$now" ] && [ "$now" != "$started" ]; then echo DEAD; exit 0; fi
echo ALIVE
'

SSH_CMD=()
setup_ssh() {
    local -a extra=()
    if [[ -n ${DAPHNE_SSH_OPTS:-} ]]; then
        read -ra extra <<<"$DAPHNE_SSH_OPTS"
    fi
    SSH_CMD=("${DAPHNE_SSH:-ssh}" -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5
        -o ServerAliveCountMax=3 ${extra[@]+"${extra[@]}"})
}

WORK=
cleanup_work() {
    if [[ -n $WORK ]]; then rm -rf -- "$WORK"; fi
}

BG_PIDS=()
# Waits for every ssh_bg job, also when a trapped signal interrupts `wait`.
wait_bg() {
    local p rc
    for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
        while kill -0 "$p" 2>/dev/null; do
            rc=0
            wait "$p" || rc=$?
            ((rc > 128)) || break
        done
    done
    BG_PIDS=()
}

# Runs the remote command CMD on TARGET in the background, standard input INPUT (one line);
# output in $WORK/I.out, $WORK/I.err, exit status in $WORK/I.rc. Bounded by SECS if `timeout`
# exists (ssh's own ConnectTimeout and ServerAlive options bound it otherwise).
ssh_bg() {
    local i=$1 target=$2 cmd=$3 input=$4 secs=$5
    local -a guard=()
    if command -v timeout >/dev/null 2>&1; then guard=(timeout -k 5 "$secs"); fi
    : >"$WORK/$i.out"
    : >"$WORK/$i.err"
    (
        rc=0
        printf '%s\n' "$input" | ${guard[@]+"${guard[@]}"} "${SSH_CMD[@]}" "$target" "$cmd" \
            >"$WORK/$i.out" 2>"$WORK/$i.err" || rc=$?
        printf '%s\n' "$rc" >"$WORK/$i.rc"
    ) &
    BG_PIDS+=("$!")
}

# Parses a host file into TARGETS (ssh destination), ADDR_HOSTS (host as in an address, IPv6 in
# brackets), HOSTS (bare host) and PORTS.
TARGETS=() ADDR_HOSTS=() HOSTS=() PORTS=()
parse_hostfile() {
    local file=$1 default_port=$2 raw line n=0 user rest host port
    [[ -r $file ]] || die "cannot read the host file \`$file\`"
    TARGETS=() ADDR_HOSTS=() HOSTS=() PORTS=()
    while IFS= read -r raw || [[ -n $raw ]]; do
        n=$((n + 1))
        line=${raw%%#*}
        line=${line#"${line%%[![:space:]]*}"}
        line=${line%"${line##*[![:space:]]}"}
        [[ -n $line ]] || continue
        [[ $line != *[[:space:]]* ]] || die "$file:$n: one worker per line, not \`$line\`"
        user=''
        rest=$line
        if [[ $line == *@* ]]; then
            user=${line%@*}@
            rest=${line##*@}
        fi
        if [[ $rest =~ ^\[([0-9A-Fa-f:.]+)\](:([0-9]+))?$ ]]; then
            host=${BASH_REMATCH[1]}
            port=${BASH_REMATCH[3]:-$default_port}
            ADDR_HOSTS+=("[$host]")
        elif [[ $rest =~ ^([A-Za-z0-9._-]+)(:([0-9]+))?$ ]]; then
            host=${BASH_REMATCH[1]}
            port=${BASH_REMATCH[3]:-$default_port}
            ADDR_HOSTS+=("$host")
        else
            die "$file:$n: expected host, host:port, user@host:port or [IPv6]:port, not \`$line\`"
        fi
        if ((${#port} > 5 || 10#$port > 65535)); then
            die "$file:$n: bad port in \`$line\`"
        fi
        TARGETS+=("$user$host")
        HOSTS+=("$host")
        PORTS+=("$((10#$port))")
    done <"$file"
    ((${#TARGETS[@]})) || die "the host file \`$file\` lists no hosts"
}

# The IP a worker for HOST listens on: the host itself if it is an IP address, else the first
# address it resolves to here (IPv4 preferred).
bind_ip() {
    local host=$1 ip
    if [[ $host =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || $host == *:* ]]; then
        printf '%s\n' "$host"
        return
    fi
    command -v getent >/dev/null 2>&1 || die "cannot resolve \`$host\` without getent: use IP addresses in the host file or --bind"
    ip=$(getent ahostsv4 "$host" 2>/dev/null | awk 'NR == 1 { print $1 }') || ip=''
    if [[ -z $ip ]]; then
        ip=$(getent ahosts "$host" 2>/dev/null | awk 'NR == 1 { print $1 }') || ip=''
    fi
    [[ -n $ip ]] || die "cannot resolve the host \`$host\`: use its IP address in the host file or --bind"
    printf '%s\n' "$ip"
}

is_loopback() {
    [[ $1 == 127.* || $1 == ::1 || $1 == localhost ]]
}

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

# Reads $DIR/workers into W_TARGET, W_ADDR, W_PID, W_STARTED, W_LOG.
W_TARGET=() W_ADDR=() W_PID=() W_STARTED=() W_LOG=()
read_state() {
    W_TARGET=() W_ADDR=() W_PID=() W_STARTED=() W_LOG=()
    [[ -f $DIR/workers ]] || return 0
    local t a p s l
    while IFS=$TAB read -r t a p s l; do
        [[ -n $t ]] || continue
        W_TARGET+=("$t") W_ADDR+=("$a") W_PID+=("$p") W_STARTED+=("$s") W_LOG+=("$l")
    done <"$DIR/workers"
}

# Stops the workers with the given indices into the W_ arrays, in parallel. Prints one line per
# worker; sets STOP_FAILED to the indices whose host could not be reached.
STOP_FAILED=()
stop_indices() {
    local i result
    STOP_FAILED=()
    for i in "$@"; do
        ssh_bg "$i" "${W_TARGET[i]}" \
            "$(remote_command "$REMOTE_STOP" "${W_PID[i]}" "${W_STARTED[i]}" "$STOP_TIMEOUT")" "" \
            $((STOP_TIMEOUT + 30))
    done
    wait_bg
    for i in "$@"; do
        result=$(grep -m1 -E '^(STOPPED|KILLED|GONE)$' "$WORK/$i.out" 2>/dev/null) || result=''
        if [[ -n $result ]]; then
            case $result in
                STOPPED) result=stopped ;;
                KILLED) result="killed (did not stop within ${STOP_TIMEOUT}s)" ;;
                GONE) result="was not running" ;;
            esac
            note "${W_TARGET[i]}: worker ${W_ADDR[i]} (pid ${W_PID[i]}) $result"
        else
            note "${W_TARGET[i]}: could not stop worker ${W_ADDR[i]} (pid ${W_PID[i]}): ssh exit status $(cat "$WORK/$i.rc" 2>/dev/null || echo '?') $(tr '\n' ' ' <"$WORK/$i.err" 2>/dev/null || true)"
            STOP_FAILED+=("$i")
        fi
    done
}

export_line() {
    [[ -s $DIR/addresses ]] || return 1
    printf 'export DISTRIBUTED_WORKERS=%s\n' "$(paste -sd, "$DIR/addresses")"
}

write_state() {
    local i
    : >"$DIR/workers.tmp"
    : >"$DIR/addresses.tmp"
    for i in "$@"; do
        printf '%s\t%s\t%s\t%s\t%s\n' "${W_TARGET[i]}" "${W_ADDR[i]}" "${W_PID[i]}" "${W_STARTED[i]}" \
            "${W_LOG[i]}" >>"$DIR/workers.tmp"
        printf '%s\n' "${W_ADDR[i]}" >>"$DIR/addresses.tmp"
    done
    if (($#)); then
        mv -f "$DIR/workers.tmp" "$DIR/workers"
        mv -f "$DIR/addresses.tmp" "$DIR/addresses"
    else
        rm -f "$DIR/workers.tmp" "$DIR/addresses.tmp" "$DIR/workers" "$DIR/addresses"
    fi
}

# --- start -------------------------------------------------------------------------------------

cmd_start() {
    local hostfile='' port=$DEFAULT_PORT bin=${DAPHNE_WORKER_BIN:-DistributedWorker}
    local remote_dir=$DEFAULT_REMOTE_DIR threads='' bind='' data_dir=''
    DIR=$DEFAULT_DIR
    while (($#)); do
        case $1 in
            --port) (($# >= 2)) || die "--port needs a port"; port=$2; shift 2 ;;
            --port=*) port=${1#*=}; shift ;;
            --bin) (($# >= 2)) || die "--bin needs a path"; bin=$2; shift 2 ;;
            --bin=*) bin=${1#*=}; shift ;;
            --dir) (($# >= 2)) || die "--dir needs a directory"; DIR=$2; shift 2 ;;
            --dir=*) DIR=${1#*=}; shift ;;
            --remote-dir) (($# >= 2)) || die "--remote-dir needs a directory"; remote_dir=$2; shift 2 ;;
            --remote-dir=*) remote_dir=${1#*=}; shift ;;
            --data-dir) (($# >= 2)) || die "--data-dir needs a directory"; data_dir=$2; shift 2 ;;
            --data-dir=*) data_dir=${1#*=}; shift ;;
            --threads) (($# >= 2)) || die "--threads needs a number"; threads=$2; shift 2 ;;
            --threads=*) threads=${1#*=}; shift ;;
            --bind) (($# >= 2)) || die "--bind needs an IP address"; bind=$2; shift 2 ;;
            --bind=*) bind=${1#*=}; shift ;;
            -h | --help) usage; exit 0 ;;
            -*) die "unknown option \`$1\` (see --help)" ;;
            *) [[ -z $hostfile ]] || die "unexpected argument \`$1\` (see --help)"; hostfile=$1; shift ;;
        esac
    done
    [[ -n $hostfile ]] || die "start needs a host file (see --help)"
    if ! is_uint "$port" || ((${#port} > 5 || 10#$port > 65535)); then
        die "--port must be a port number, not \`$port\`"
    fi
    if [[ -n $threads ]] && { ! is_uint "$threads" || ((${#threads} > 6)); }; then
        die "--threads must be a non-negative integer, not \`$threads\`"
    fi
    if [[ -n $bind && ! ($bind =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || $bind == *:*) ]]; then
        die "--bind must be an IP address, not \`$bind\`"
    fi
    is_uint "$START_TIMEOUT" || die "DAPHNE_WORKER_START_TIMEOUT must be whole seconds"
    is_uint "$STOP_TIMEOUT" || die "DAPHNE_WORKER_STOP_TIMEOUT must be whole seconds"
    parse_hostfile "$hostfile" "$((10#$port))"

    mkdir -p -- "$DIR"
    read_state
    if ((${#W_TARGET[@]})); then
        die "$DIR already records ${#W_TARGET[@]} worker(s) (see \`$PROG list --dir $DIR\`): stop them first with \`$PROG stop --dir $DIR\`"
    fi

    # Bind addresses, and no address twice.
    local i n=${#TARGETS[@]} ip b
    local -a binds=()
    local -A seen=()
    for ((i = 0; i < n; i++)); do
        if ((PORTS[i] != 0)); then
            [[ -z ${seen[${ADDR_HOSTS[i]}:${PORTS[i]}]:-} ]] || die "the host file lists ${ADDR_HOSTS[i]}:${PORTS[i]} twice"
            seen[${ADDR_HOSTS[i]}:${PORTS[i]}]=1
        fi
        ip=${bind:-$(bind_ip "${HOSTS[i]}")}
        if [[ $ip == *:* ]]; then b="[$ip]:${PORTS[i]}"; else b="$ip:${PORTS[i]}"; fi
        binds+=("$b")
        if [[ -z ${DAPHNE_WORKER_TOKEN:-} ]] && ! is_loopback "$ip"; then
            die "${TARGETS[i]}: a worker on $b needs a token (DistributedWorker refuses a non-loopback address without one): set DAPHNE_WORKER_TOKEN, e.g. export DAPHNE_WORKER_TOKEN=\$(openssl rand -hex 24)"
        fi
    done

    setup_ssh
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ssh-workers.XXXXXX")
    trap cleanup_work EXIT
    # A signal during the start is acted on once every ssh has returned: the workers that came up
    # are then stopped again (killing the local ssh would leave them running on the hosts).
    local interrupted=''
    trap 'interrupted=130' INT
    trap 'interrupted=143' TERM
    trap 'interrupted=129' HUP
    for ((i = 0; i < n; i++)); do
        ssh_bg "$i" "${TARGETS[i]}" \
            "$(remote_command "$REMOTE_START" "$bin" "${binds[i]}" "$remote_dir" "$threads" "$START_TIMEOUT" "$data_dir")" \
            "${DAPHNE_WORKER_TOKEN:-}" $((START_TIMEOUT + 30))
    done
    wait_bg

    local out pid started log banner real failed=0
    local -a ok=()
    W_TARGET=() W_ADDR=() W_PID=() W_STARTED=() W_LOG=()
    for ((i = 0; i < n; i++)); do
        out=$WORK/$i.out
        pid=$(sed -n 's/^PID \([0-9][0-9]*\)$/\1/p' "$out" | head -n1)
        started=$(sed -n 's/^STARTED //p' "$out" | head -n1)
        log=$(sed -n 's/^LOG //p' "$out" | head -n1)
        banner=$(sed -n 's/^UP //p' "$out" | head -n1)
        W_TARGET[i]=${TARGETS[i]} W_PID[i]=$pid W_STARTED[i]=$started W_LOG[i]=$log
        W_ADDR[i]=${ADDR_HOSTS[i]}:${PORTS[i]}
        if [[ -n $banner ]]; then
            # The real port (port 0 asked for a free one).
            real=${banner#*\`}
            real=${real%%\`*}
            real=${real##*:}
            W_ADDR[i]=${ADDR_HOSTS[i]}:$real
            ok+=("$i")
        elif [[ -n $interrupted ]]; then
            failed=1
        else
            failed=1
            note "${TARGETS[i]}: the worker on ${binds[i]} did not start (ssh exit status $(cat "$WORK/$i.rc" 2>/dev/null || echo '?'))"
            sed -n 's/^ERROR /    /p; s/^LOG| /    log: /p' "$out" >&2
            sed 's/^/    ssh: /' "$WORK/$i.err" >&2
        fi
    done
    if [[ -n $interrupted ]]; then
        note "interrupted"
        failed=1
    fi
    if ((failed)); then
        local -a started_ids=()
        for ((i = 0; i < n; i++)); do
            [[ -n ${W_PID[i]} ]] && started_ids+=("$i")
        done
        if ((${#started_ids[@]})); then
            note "stopping the workers that were started"
            stop_indices "${started_ids[@]}"
        fi
        exit "${interrupted:-1}"
    fi
    trap - INT TERM HUP
    write_state "${ok[@]}"
    note "started $n worker(s): ${W_ADDR[*]} (state in $DIR)"
    export_line
}

# --- list, stop, env ---------------------------------------------------------------------------

cmd_list() {
    parse_dir_only "$@"
    read_state
    local n=${#W_TARGET[@]} i state all=0
    if ((n == 0)); then
        note "no workers recorded in $DIR"
        return 1
    fi
    setup_ssh
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ssh-workers.XXXXXX")
    trap cleanup_work EXIT
    for ((i = 0; i < n; i++)); do
        ssh_bg "$i" "${W_TARGET[i]}" "$(remote_command "$REMOTE_STATUS" "${W_PID[i]}" "${W_STARTED[i]}")" "" 30
    done
    wait_bg
    printf '%-28s %-8s %-28s %s\n' HOST PID ADDRESS STATE
    for ((i = 0; i < n; i++)); do
        state=$(grep -m1 -E '^(ALIVE|DEAD)$' "$WORK/$i.out" 2>/dev/null) || state=unreachable
        case $state in ALIVE) state=alive ;; DEAD) state=dead all=1 ;; *) all=1 ;; esac
        printf '%-28s %-8s %-28s %s\n' "${W_TARGET[i]}" "${W_PID[i]}" "${W_ADDR[i]}" "$state"
    done
    return "$all"
}

cmd_stop() {
    local hostfile=''
    local -a rest=()
    while (($#)); do
        case $1 in
            --dir) rest+=("$1" "${2:-}"); shift $(($# >= 2 ? 2 : 1)) ;;
            -*) rest+=("$1"); shift ;;
            *) [[ -z $hostfile ]] || die "unexpected argument \`$1\` (see --help)"; hostfile=$1; shift ;;
        esac
    done
    parse_dir_only ${rest[@]+"${rest[@]}"}
    is_uint "$STOP_TIMEOUT" || die "DAPHNE_WORKER_STOP_TIMEOUT must be whole seconds"
    read_state
    local n=${#W_TARGET[@]} i t
    if ((n == 0)); then
        note "no workers recorded in $DIR"
        return 0
    fi
    local -a chosen=() keep=()
    if [[ -n $hostfile ]]; then
        parse_hostfile "$hostfile" "$DEFAULT_PORT"
        local -A wanted=()
        for t in "${TARGETS[@]}"; do wanted[$t]=1; done
        for ((i = 0; i < n; i++)); do
            if [[ -n ${wanted[${W_TARGET[i]}]:-} ]]; then chosen+=("$i"); else keep+=("$i"); fi
        done
    else
        for ((i = 0; i < n; i++)); do chosen+=("$i"); done
    fi
    if ((${#chosen[@]} == 0)); then
        note "no recorded worker runs on the hosts of $hostfile"
        return 0
    fi
    setup_ssh
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ssh-workers.XXXXXX")
    trap cleanup_work EXIT
    stop_indices "${chosen[@]}"
    # Hosts that could not be reached stay recorded, to be stopped later.
    keep+=(${STOP_FAILED[@]+"${STOP_FAILED[@]}"})
    mapfile -t keep < <(printf '%s\n' ${keep[@]+"${keep[@]}"} | sed '/^$/d' | sort -n)
    write_state ${keep[@]+"${keep[@]}"}
    if ((${#STOP_FAILED[@]})); then
        die "${#STOP_FAILED[@]} worker(s) could not be reached; they stay recorded in $DIR"
    fi
}

cmd_env() {
    parse_dir_only "$@"
    export_line || die "no workers recorded in $DIR (start them with \`$PROG start HOSTFILE --dir $DIR\`)"
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
