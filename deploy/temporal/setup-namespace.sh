#!/bin/sh
# Registers a namespace and the search attributes of ./search-attributes in it, once the server answers. Safe to run
# on every start: what exists is kept. Run by `npm run server:production` (scripts/lib/production-stack.ts) and by
# docker-compose.yml's temporal-namespace job. Variables: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE
# (default), TEMPORAL_NAMESPACE_RETENTION (how long closed workflows, dead letters included, are kept: 30d; Go's
# duration form, such as 720h or 30d), TEMPORAL_CLI (temporal).
set -eu
cli=${TEMPORAL_CLI:-temporal}
address=${TEMPORAL_ADDRESS:-localhost:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-30d}
here=$(dirname "$0")

# Waits up to 2 minutes for "$@" to succeed: the server may still be starting, and a namespace just made takes up to
# the server's cache refresh (10 s) to be usable.
within_two_minutes() {
  tries=0
  until out=$("$@" 2>&1); do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then echo "$out" >&2; return 1; fi
    sleep 2
  done
}

within_two_minutes "$cli" operator cluster health --address "$address"
if ! "$cli" operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  # Another setup may create it at the same moment: then it exists, which is all this wants.
  "$cli" operator namespace create --address "$address" --namespace "$namespace" \
    --retention "$retention" >/dev/null 2>&1 ||
    within_two_minutes "$cli" operator namespace describe --address "$address" --namespace "$namespace"
fi
# The retention is a setting: a namespace made earlier (or with another value) is given it. Temporal Cloud sets it in
# its console and refuses this, which is said and not fatal.
if ! out=$("$cli" operator namespace update --address "$address" --namespace "$namespace" --retention "$retention" 2>&1); then
  echo "namespace $namespace: retention not changed ($out); set it where the namespace is managed" >&2
fi

set --
while read -r name type; do
  case $name in '' | '#'*) continue ;; esac
  set -- "$@" --name "$name" --type "$type"
done <"$here/search-attributes"

# An attribute already there with the same type is fine; with another type it is not, and that is reported.
register() {
  if out=$("$cli" operator search-attribute create --address "$address" --namespace "$namespace" "$@" 2>&1); then
    return 0
  fi
  echo "$out"
  echo "$out" | grep -qi 'already exists' && ! echo "$out" | grep -qi 'different type'
}
within_two_minutes register "$@"
echo "namespace $namespace on $address: search attributes registered, closed workflows kept $retention"
