#!/bin/sh
# Init container of the Redis acceptors: writes the ACL users Redis loads with `include`
# from the passwords in the Secret "gryadka-redis" (mounted at $SECRET_DIR):
#   password           the proposers' user "gryadka": only the commands a proposer sends,
#                      only keys under the prefix "gryadka:" (docs/kubernetes.md)
#   previous-password  optional, also accepted for "gryadka" while a rotation is rolled out
#   admin-password     optional, user "admin" with every command (backups, maintenance)
# A password must be non-empty and contain no whitespace. Passwords are never in argv.
# It refuses to start an acceptor whose pod name ($POD_NAME) is a line of $CONTROL_DIR/disabled
# (ConfigMap gryadka-redis-control): the runbook for a lost volume keeps an acceptor whose data
# is gone from ever answering under its old address again (docs/kubernetes.md).
set -eu
SECRET_DIR=${SECRET_DIR:-/var/run/secrets/gryadka-redis}
CONTROL_DIR=${CONTROL_DIR:-/etc/gryadka-redis-control}
OUT=${OUT:-/run/gryadka-redis/users.conf}
umask 077

if [ -n "${POD_NAME:-}" ] && [ -f "$CONTROL_DIR/disabled" ] &&
  grep -qx "$POD_NAME" "$CONTROL_DIR/disabled"; then
  echo "redis-acl: $POD_NAME is listed in ConfigMap gryadka-redis-control key disabled;" \
    "not starting (docs/kubernetes.md, lost volume)" >&2
  exit 1
fi

# Prints ">PASSWORD" for the password in file $1, or nothing when $1 is absent and $2 = optional.
password_rule() {
  if [ ! -f "$1" ]; then
    [ "$2" = optional ] && return 0
    echo "redis-acl: missing $1 (key of the Secret gryadka-redis)" >&2
    exit 1
  fi
  p=$(cat "$1")
  case $p in
    "" | *[[:space:]]*)
      echo "redis-acl: $1 is empty or contains whitespace" >&2
      exit 1
      ;;
  esac
  printf ' >%s' "$p"
}

{
  echo "user default off resetpass -@all"
  printf 'user gryadka on resetpass'
  password_rule "$SECRET_DIR/password" required
  password_rule "$SECRET_DIR/previous-password" optional
  echo ' resetkeys ~gryadka:* resetchannels -@all +auth +ping +eval +evalsha +script|load +scan +type +hget +hmget +hset'
  admin=$(password_rule "$SECRET_DIR/admin-password" optional)
  if [ -n "$admin" ]; then
    printf 'user admin on resetpass%s ~* &* +@all\n' "$admin"
  fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "redis-acl: wrote $OUT"
