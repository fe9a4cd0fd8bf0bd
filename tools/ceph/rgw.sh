#!/usr/bin/env bash
# Starts and stops a throwaway single-node Ceph cluster with the RADOS Gateway on loopback:
# a real S3 server that checks SigV4, for the S3 tests and for trying the gateway's S3
# dialect locally. One monitor, one OSD on memstore (objects live in RAM) and radosgw
# (beast), all on 127.0.0.1 with ports picked free at start, so several clusters can run
# side by side. Everything a cluster writes lives under its DIR; nothing goes to /etc/ceph,
# /var/lib/ceph, /var/run/ceph or /var/log/ceph, and it runs as root or as any user.
# Ceph 16 (Pacific) as Debian bookworm ships it; tools/setup.sh installs the packages.
# See --help for the interface.
set -euo pipefail

prog=rgw.sh
rgw_name=client.rgw.objgate
region=us-east-1
memstore_bytes=${OBJGATE_RGW_MEMSTORE_BYTES:-4294967296}
start_timeout=${OBJGATE_RGW_START_TIMEOUT:-90}

usage() {
  cat <<EOF
usage: tools/ceph/rgw.sh start DIR [--bucket NAME]...
       tools/ceph/rgw.sh stop DIR
       tools/ceph/rgw.sh --help

start  Creates DIR if needed and starts a fresh single-node Ceph cluster in it: ceph-mon,
       one ceph-osd on memstore and radosgw serving S3 on http://127.0.0.1:PORT, with free
       loopback ports picked at start. Waits until S3 answers (at most
       \$OBJGATE_RGW_START_TIMEOUT seconds, default 90), creates an S3 user with a new
       access key and secret, and creates each --bucket (default: one named objgate).
       Writes DIR/rgw.env, shell assignments to source or read line by line:
         OBJGATE_S3_ENDPOINT=http://127.0.0.1:PORT
         AWS_ACCESS_KEY_ID=...
         AWS_SECRET_ACCESS_KEY=...
         OBJGATE_S3_BUCKET=objgate        (the first --bucket)
         OBJGATE_S3_REGION=us-east-1
       prints the same lines on stdout, and writes DIR/credentials, an AWS shared
       credentials file with those keys as [default]. Progress and errors go to stderr.
       Exits 0 only when every bucket exists; on failure it stops what it started and
       leaves the logs in DIR/log. Anything an earlier cluster left in DIR is replaced.
       Objects live in RAM: the OSD holds \$OBJGATE_RGW_MEMSTORE_BYTES bytes of them
       (default 4294967296, 4 GiB) and takes about twice that in memory. Once it is full,
       writes wait (S3 requests hang) rather than fail.

stop   Stops the daemons started for DIR, by their pid files (SIGTERM, then SIGKILL
       after 10 s). Succeeds when nothing is running. Leaves DIR for the caller to remove.

Try the gateway's S3 dialect with it:
  tools/ceph/rgw.sh start /tmp/objgate-rgw >/dev/null
  set -a; source /tmp/objgate-rgw/rgw.env; set +a    # exported: the gateway reads AWS_*
  bazel-bin/server/gateway --upstream="\$OBJGATE_S3_ENDPOINT" --upstream_dialect=s3 \\
    --s3_bucket="\$OBJGATE_S3_BUCKET"
  # (or AWS_SHARED_CREDENTIALS_FILE=/tmp/objgate-rgw/credentials instead of the AWS_*)
  # The bucket, straight from S3 (RGW wants x-amz-content-sha256, curl does not send it):
  curl --aws-sigv4 "aws:amz:\$OBJGATE_S3_REGION:s3" \\
    --user "\$AWS_ACCESS_KEY_ID:\$AWS_SECRET_ACCESS_KEY" \\
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "\$OBJGATE_S3_ENDPOINT/\$OBJGATE_S3_BUCKET"
  tools/ceph/rgw.sh stop /tmp/objgate-rgw && rm -rf /tmp/objgate-rgw

Needs: ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl python3 (tools/setup.sh).
EOF
}

say() { echo "$prog: $*" >&2; }
# Prints the seconds since $1, an earlier $EPOCHREALTIME, with one decimal.
since() {
  LC_ALL=C awk -v a="${1/,/.}" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f", b - a }'
}
die() { say "$*"; exit 1; }

# The daemons in the order they are stopped: the gateway first, the monitor last, so
# that each one's clean shutdown can still reach the monitor.
daemons=("$rgw_name" osd.0 mon.a)

# Prints the pid in DIR's pid file of daemon $2 if that process is alive and is the one
# started for DIR (its command line names DIR's ceph.conf), so that a recycled pid or a
# stale file never gets another process killed.
live_pid() {
  local dir=$1 name=$2 pid state cmdline
  [[ -r $dir/run/$name.pid ]] || return 1
  pid=$(<"$dir/run/$name.pid") || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # A zombie is as good as gone: where PID 1 does not reap (some containers) it stays.
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) ||
    return 1
  [[ -n $state && $state != Z ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *" $dir/ceph.conf "* ]] || return 1
  echo "$pid"
}

# Stops DIR's daemons in order, each with SIGTERM and, after 10 s, SIGKILL.
stop_daemons() {
  local dir=$1 name pid i
  for name in "${daemons[@]}"; do
    pid=$(live_pid "$dir" "$name") || { rm -f "$dir/run/$name.pid"; continue; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      live_pid "$dir" "$name" >/dev/null || break
      sleep 0.1
    done
    if live_pid "$dir" "$name" >/dev/null; then
      say "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        live_pid "$dir" "$name" >/dev/null || break
        sleep 0.1
      done
      if live_pid "$dir" "$name" >/dev/null; then
        say "$name (pid $pid) survived SIGKILL"
        return 1
      fi
    fi
    rm -f "$dir/run/$name.pid"
  done
}

# Runs a command with its output in $log/$1.out; when it fails, shows that and the log
# of daemon $2 (if not empty), and gives up.
step() {
  local out=$log/$1.out daemon=$2
  shift 2
  "$@" </dev/null >"$out" 2>&1 && return 0
  show_log "$out"
  [[ -z $daemon ]] || show_log "$log/$daemon.log"
  die "failed: $*"
}

# Prints the last lines of a log, to show why a daemon or command failed.
show_log() {
  local file=$1
  if [[ -s $file ]]; then
    say "last lines of $file:"
    tail -n 25 "$file" | sed 's/^/  /' >&2
  fi
}

# Prints a free block of $1 consecutive loopback ports: tried by binding each one, at a
# random place so that clusters starting at the same time are unlikely to pick the same
# block, and outside the kernel's ephemeral range, which outgoing connections use.
free_port_block() {
  /usr/bin/python3 - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
low, high = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
bases = [b for b in range(10000, 65000 - count, count) if b + count <= low or b > high]
random.shuffle(bases)
for base in bases[:200]:
    held = []
    try:
        for port in range(base, base + count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no block of %d free loopback ports found" % count)
EOF
}

# Prints $2 random characters from the set $1.
random_string() {
  local set=$1 length=$2 out=""
  while ((${#out} < length)); do
    out+=$(head -c 512 /dev/urandom | LC_ALL=C tr -dc "$set")
  done
  echo "${out:0:length}"
}

# Sends a SigV4-signed S3 request with curl; prints the HTTP status, the body to $1.
s3_request() {
  local body=$1 method=(-X "$2") url=$3
  # -X HEAD would leave curl waiting for a body that never comes.
  [[ $2 != HEAD ]] || method=(--head)
  # curl does not send x-amz-content-sha256 itself, and RGW insists on it.
  curl -sS -o "$body" -w '%{http_code}' --max-time 30 "${method[@]}" \
    --aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$url"
}

# The EXIT trap of start: after a failure, stops the daemons already started.
starting_dir=""
rgw_launched=0
on_start_exit() {
  local rc=$? i
  trap - EXIT
  if ((rc)) && [[ -n $starting_dir ]]; then
    say "start failed; stopping what it started (logs stay in $starting_dir/log)"
    # radosgw's parent returns before the child writes the pid file that stop needs.
    for ((i = 0; rgw_launched && i < 50; i++)); do
      [[ -s $starting_dir/run/$rgw_name.pid ]] && break
      sleep 0.1
    done
    stop_daemons "$starting_dir" || true
  fi
  exit "$rc"
}

cmd_stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  local t0=$EPOCHREALTIME
  stop_daemons "$dir" || die "could not stop the cluster in $dir"
  say "stopped the cluster in $dir ($(since "$t0") s)"
}

cmd_start() {
  local dir=$1
  shift
  local buckets=()
  while (($#)); do
    case $1 in
      --bucket) (($# >= 2)) || die "--bucket needs a NAME"; buckets+=("$2"); shift 2 ;;
      --bucket=*) buckets+=("${1#--bucket=}"); shift ;;
      *) die "unknown argument to start: $1 (see --help)" ;;
    esac
  done
  ((${#buckets[@]})) || buckets=(objgate)
  local b
  for b in "${buckets[@]}"; do
    # S3's rules for bucket names; RGW would refuse the rest less clearly.
    [[ $b =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
      die "invalid bucket name '$b' (3 to 63 of a-z 0-9 . -, starting and ending alphanumeric)"
  done
  [[ $memstore_bytes =~ ^[1-9][0-9]*$ ]] ||
    die "OBJGATE_RGW_MEMSTORE_BYTES must be a number of bytes, not '$memstore_bytes'"
  [[ $start_timeout =~ ^[1-9][0-9]*$ ]] ||
    die "OBJGATE_RGW_START_TIMEOUT must be a number of seconds, not '$start_timeout'"
  local tool
  for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen curl \
    /usr/bin/python3; do
    command -v "$tool" >/dev/null || die "$tool is missing: run tools/setup.sh (or apt-get" \
      "install ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl python3)"
  done

  # Ceph splits its configuration values on whitespace, and a few other characters would
  # need quoting in ceph.conf; the temporary directories of tests never have them.
  local path_chars='^[A-Za-z0-9/._+-]+$'
  local path_error="DIR must be a path of letters, digits and /._+- only, not"
  [[ $dir =~ $path_chars ]] || die "$path_error '$dir'"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  [[ $dir =~ $path_chars ]] || die "$path_error '$dir'"
  local name
  for name in "${daemons[@]}"; do
    if live_pid "$dir" "$name" >/dev/null; then
      die "a cluster is already running in $dir: tools/ceph/rgw.sh stop $dir first"
    fi
  done

  local t0=$EPOCHREALTIME
  rm -rf "$dir/mon" "$dir/osd" "$dir/rgw" "$dir/run" "$dir/log" "$dir/crash" \
    "$dir/ceph.conf" "$dir/monmap" "$dir/rgw.env" "$dir/credentials"
  mkdir -p "$dir/mon" "$dir/osd" "$dir/rgw" "$dir/run" "$dir/log" "$dir/crash"

  # From here on, a failure (or Ctrl-C) stops whatever already runs.
  starting_dir=$dir
  trap on_start_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # One block: monitor v2 and v1, S3, then the range the OSD binds its 8 ports in (public
  # and cluster, heartbeat front and back, each messenger v2 and v1), with room to spare.
  local base
  base=$(free_port_block 32) || die "could not find free loopback ports"
  local mon_v2=$base mon_v1=$((base + 1)) s3_port=$((base + 2))
  local bind_min=$((base + 8)) bind_max=$((base + 31))
  local endpoint=http://127.0.0.1:$s3_port

  # Admin sockets are Unix sockets, whose paths may not exceed 107 bytes: with a deep DIR
  # the daemons go without (nothing here needs them; they serve `ceph daemon` debugging).
  local asok="\$run_dir/\$name.asok"
  if ((${#dir} + ${#rgw_name} + 10 > 107)); then asok=""; fi

  local fsid
  fsid=$(uuidgen)
  cat >"$dir/ceph.conf" <<EOF
# Written by tools/ceph/rgw.sh for a throwaway single-node cluster; replaced at each start.
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
# Loopback only: without cluster_addr the OSD listens on 0.0.0.0.
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_port_min = $bind_min
ms_bind_port_max = $bind_max
# No cephx: nothing to protect, and no keyrings to make. radosgw's default monitor
# connection mode, secure, cannot work without auth (it retries for 300 s).
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
# Everything under DIR, so that ordinary users can run it and clusters do not collide.
run_dir = $dir/run
crash_dir = $dir/crash
log_file = $dir/log/\$name.log
mon_cluster_log_file = $dir/log/cluster.log
# An empty keyring of its own, so that no client looks into /etc/ceph.
keyring = $dir/keyring
admin_socket =
pid_file =
# One OSD: pools of one replica, placement across OSDs rather than hosts, few placement
# groups (radosgw makes about ten pools) and no autoscaler to change them.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
# The monitor shuts down when its disk is nearly full; a shared test disk often is.
mon_data_avail_crit = 1
mon_data_avail_warn = 2
# The monitor batches map changes for 1 s by default, and radosgw makes its pools one
# after another, each waiting for a new map: without this, start takes 14 s, not 2.
paxos_propose_interval = 0.05
# A warning about cephx clients, which a cluster without cephx has no use for.
mon_warn_on_insecure_global_id_reclaim_allowed = false

[mon]
mon_data = $dir/mon
pid_file = \$run_dir/\$name.pid
admin_socket = $asok

[osd]
osd_data = $dir/osd
osd_objectstore = memstore
memstore_device_bytes = $memstore_bytes
pid_file = \$run_dir/\$name.pid
admin_socket = $asok

[$rgw_name]
# tcp_nodelay: beast writes an answer's head and body separately, and with Nagle's
# algorithm on, every GET and listing on a kept-alive connection then waits for the
# client's delayed ACK: 40 ms a request.
rgw_frontends = beast endpoint=127.0.0.1:$s3_port tcp_nodelay=1
# Deleted and overwritten data is freed within seconds, not after Ceph's default 2 hours:
# every byte is RAM here.
rgw_gc_obj_min_wait = 0
rgw_gc_processor_period = 2
# Virtual-host-style requests to BUCKET.localhost:PORT; path style works anyway.
rgw_dns_name = localhost
rgw_data = $dir/rgw
# The lifecycle thread sleeps 5 s at a time and radosgw waits for it on SIGTERM, which
# made stop take 4 to 9 s. Lifecycle rules are still stored; they are not applied (AWS
# applies them once a day, so no test waits for that anyway).
rgw_enable_lc_threads = false
pid_file = \$run_dir/\$name.pid
admin_socket = $asok
EOF
  : >"$dir/keyring"
  local conf=(--conf "$dir/ceph.conf")

  say "starting a cluster in $dir (S3 on $endpoint)"
  local log=$dir/log
  step monmaptool "" monmaptool --create --fsid "$fsid" \
    --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" "$dir/monmap"
  step mon-mkfs "" ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap"
  # The daemons fork; the parent returns once the child is up (or has failed).
  step mon mon.a ceph-mon "${conf[@]}" -i a

  local osd_uuid osd_id
  osd_uuid=$(uuidgen)
  osd_id=$(timeout 30 ceph "${conf[@]}" osd new "$osd_uuid" 2>"$log/osd-new.out") ||
    { show_log "$log/osd-new.out"; show_log "$log/mon.a.log"; die "ceph osd new failed"; }
  [[ $osd_id == 0 ]] || die "ceph osd new gave id '$osd_id', expected 0"
  step osd-mkfs "" ceph-osd "${conf[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid"
  step osd osd.0 ceph-osd "${conf[@]}" -i 0

  rgw_launched=1
  step rgw "$rgw_name" radosgw "${conf[@]}" -n "$rgw_name"

  # radosgw forks at once and the child writes its pid file first thing; it creates its
  # pools before it listens, which takes most of the start time.
  local deadline=$((SECONDS + start_timeout)) code
  while [[ ! -s $dir/run/$rgw_name.pid ]]; do
    ((SECONDS < deadline)) || die "radosgw wrote no pid file"
    sleep 0.1
  done
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$endpoint/") || true
    [[ $code == 200 ]] && break
    if ! live_pid "$dir" "$rgw_name" >/dev/null; then
      show_log "$log/$rgw_name.log"
      die "radosgw exited before S3 answered on $endpoint"
    fi
    if ((SECONDS >= deadline)); then
      show_log "$log/$rgw_name.log"
      die "S3 did not answer on $endpoint within $start_timeout s (OBJGATE_RGW_START_TIMEOUT)"
    fi
    sleep 0.2
  done

  # Keys of letters and digits only, so that rgw.env needs no quoting to be sourced or
  # read line by line.
  access_key=$(random_string 'A-Z0-9' 20)
  secret_key=$(random_string 'A-Za-z0-9' 40)
  timeout 60 radosgw-admin "${conf[@]}" user create --uid=objgate \
    --display-name="objgate tests" --access-key="$access_key" --secret-key="$secret_key" \
    >"$log/user-create.out" 2>&1 ||
    { show_log "$log/user-create.out"; die "radosgw-admin user create failed"; }

  local status
  for b in "${buckets[@]}"; do
    status=$(s3_request "$log/create-bucket.out" PUT "$endpoint/$b") || status=000
    if [[ $status != 200 ]]; then
      show_log "$log/create-bucket.out"
      die "creating bucket $b failed: HTTP $status"
    fi
    status=$(s3_request "$log/head-bucket.out" HEAD "$endpoint/$b") || status=000
    [[ $status == 200 ]] || die "bucket $b does not exist after creating it: HTTP $status"
  done

  local env_lines
  env_lines="OBJGATE_S3_ENDPOINT=$endpoint
AWS_ACCESS_KEY_ID=$access_key
AWS_SECRET_ACCESS_KEY=$secret_key
OBJGATE_S3_BUCKET=${buckets[0]}
OBJGATE_S3_REGION=$region"
  # The secret is throwaway, but there is no reason to let other users read it.
  (
    umask 077
    echo "$env_lines" >"$dir/rgw.env"
    printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
      "$access_key" "$secret_key" >"$dir/credentials"
  )
  trap - EXIT INT TERM
  say "cluster up in $(since "$t0") s, bucket(s) ${buckets[*]};" \
    "stop it with: tools/ceph/rgw.sh stop $dir"
  echo "$env_lines"
}

case ${1:-} in
  -h | --help | help) usage; exit 0 ;;
  start) (($# >= 2)) || { usage >&2; exit 2; }; cmd_start "${@:2}" ;;
  stop) (($# == 2)) || { usage >&2; exit 2; }; cmd_stop "$2" ;;
  *) usage >&2; exit 2 ;;
esac
