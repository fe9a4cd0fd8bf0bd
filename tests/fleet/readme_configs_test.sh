#!/usr/bin/env bash
# The README's HAProxy and nginx blocks are excerpts of tools/fleet's files, which the fleet
# suite runs: every line of each block is a line of its file (indentation aside), so the
# README cannot drift from what is tested.
set -euo pipefail

readme=README.md
failed=0
check() {
  local fence=$1 file=$2 line count=0
  while IFS= read -r line; do
    count=$((count + 1))
    if ! grep -qxF -- "$(sed 's/^ *//' <<<"$line")" <(sed 's/^ *//' "$file"); then
      echo "README.md's \`\`\`$fence block has a line that $file does not: $line" >&2
      failed=1
    fi
  done < <(awk -v fence="\`\`\`$fence" '$0 == fence {inside = 1; next}
                                          inside && /^```/ {inside = 0}
                                          inside && NF {print}' "$readme")
  if ((count == 0)); then
    echo "README.md has no \`\`\`$fence block" >&2
    failed=1
  fi
  echo "$fence: $count lines checked against $file"
}
check haproxy tools/fleet/haproxy.cfg
check nginx tools/fleet/nginx.conf
exit "$failed"
