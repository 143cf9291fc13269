#!/usr/bin/env bash
# One command from a fresh clone to a running daemon on the demo setup in config/demo/:
# installs the Debian packages, builds, generates the demo app database, and runs tocsin in the
# foreground. Alerts appear on stderr and in build/demo/notifications.log. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default

mkdir -p build/demo
python3 scripts/gen-demo-db.py --out build/demo/app.db
echo "demo: notifications go to stderr and build/demo/notifications.log"
exec build/default/bin/tocsin run -c config/demo/tocsin.yaml "$@"
