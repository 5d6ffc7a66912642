#!/usr/bin/env bash
# Makes sure Debian's Chromium (driven by playwright-core, which cannot download a
# browser here) is installed, plus a colour emoji font so screenshots show 👍 and 📎.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if command -v fc-list >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -qi 'emoji'; then
  need+=(fonts-noto-color-emoji)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if [ -x /usr/bin/chromium ]; then
    echo "ensure-chromium: not root, skipping optional ${need[*]}" >&2
    exit 0
  fi
  echo "ensure-chromium: /usr/bin/chromium is missing; run as root: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

echo "ensure-chromium: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
[ -x /usr/bin/chromium ]
/usr/bin/chromium --version >&2 || true
