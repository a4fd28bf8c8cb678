#!/bin/sh
# Scrapyd for alanews as an ordinary user: one directory, any port, no root.
#
#   deploy/scrapyd-user.sh DIR PORT
#
# writes, in DIR (created if needed):
#   scrapyd.conf  deploy/scrapyd.conf with http_port = PORT and eggs_dir, dbs_dir, logs_dir under DIR
#                 (Scrapyd reads scrapyd.conf from its working directory; a ~/.scrapyd.conf would win)
#   scrapyd.env   SCRAPYD_URL=http://127.0.0.1:PORT, SCRAPYD_USERNAME=alanews, a random
#                 SCRAPYD_PASSWORD, ALANEWS_DATA_DIR=DIR/data (feeds and incremental state); mode 0600.
#                 Run again with another PORT: the URL follows, the password is kept.
# and prints the command that starts Scrapyd. The whole user-level path, from the checkout
# (tests/test_scrapyd_user.py runs these lines as written, only the ports changed):
#
# --- user-level Scrapyd ---
# deploy/scrapyd-user.sh ~/alanews-scrapyd 6801
# (cd ~/alanews-scrapyd && set -a && . ./scrapyd.env && set +a && exec scrapyd --pidfile=) >~/alanews-scrapyd/scrapyd.log 2>&1 &
# set -a; . ~/alanews-scrapyd/scrapyd.env; set +a
# until curl -sf -u "$SCRAPYD_USERNAME:$SCRAPYD_PASSWORD" "$SCRAPYD_URL/daemonstatus.json"; do sleep 1; done
# scrapyd-deploy
# python -m replica --port 8123 >/dev/null &
# deploy/schedule.py esteri -d max_pages=1 -d setting=ALANEWS_BASE_URL=http://127.0.0.1:8123 -d setting=DOWNLOAD_DELAY=0 -d setting=AUTOTHROTTLE_ENABLED=False
# curl -u "$SCRAPYD_USERNAME:$SCRAPYD_PASSWORD" "$SCRAPYD_URL/listjobs.json?project=alanews"
# --- end ---
#
# The job's feed is then in ~/alanews-scrapyd/data/feeds/esteri/, its log in
# ~/alanews-scrapyd/logs/alanews/esteri/. Stop Scrapyd and the replica with `kill %1 %2`
# (SIGTERM: running crawls stop gracefully). Without the replica lines and the -d settings,
# the same commands crawl www.alanews.it.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 DIR PORT" >&2
    exit 2
fi
case "$2" in
    ''|*[!0-9]*) echo "$0: PORT must be a number, got '$2'" >&2; exit 2 ;;
esac
mkdir -p "$1"
dir=$(cd "$1" && pwd)
port=$2
conf=$(dirname "$0")/scrapyd.conf

{
    echo "# Scrapyd for alanews as user $(id -un): written by deploy/scrapyd-user.sh from deploy/scrapyd.conf."
    echo "# Start Scrapyd from this directory with scrapyd.env loaded (SCRAPYD_USERNAME/PASSWORD: basic auth)."
    # the production file from its [scrapyd] section on, port and paths changed
    sed -n '/^\[scrapyd\]/,$p' "$conf" | sed \
        -e "s|^http_port *=.*|http_port    = $port|" \
        -e "s|^eggs_dir *=.*|eggs_dir     = $dir/eggs|" \
        -e "s|^dbs_dir *=.*|dbs_dir      = $dir/dbs|" \
        -e "s|^logs_dir *=.*|logs_dir     = $dir/logs|"
} >"$dir/scrapyd.conf"

env_file=$dir/scrapyd.env
umask 077
if [ -f "$env_file" ]; then
    sed "s|^SCRAPYD_URL=.*|SCRAPYD_URL=http://127.0.0.1:$port|" "$env_file" >"$env_file.new"
    mv "$env_file.new" "$env_file"
else
    cat >"$env_file" <<EOF
SCRAPYD_URL=http://127.0.0.1:$port
SCRAPYD_USERNAME=alanews
SCRAPYD_PASSWORD=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
ALANEWS_DATA_DIR=$dir/data
EOF
fi

echo "Wrote $dir/scrapyd.conf and $env_file (Scrapyd on 127.0.0.1:$port). Start Scrapyd with:"
echo "  (cd $dir && set -a && . ./scrapyd.env && set +a && exec scrapyd --pidfile=) >$dir/scrapyd.log 2>&1 &"
