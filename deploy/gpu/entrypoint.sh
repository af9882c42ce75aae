#!/bin/sh
# The GPU image's entrypoint (deploy/gpu/Dockerfile).
#
# No command, or `serve [options]`: `inferscope serve` on $INFERSCOPE_HOST:$INFERSCOPE_PORT (0.0.0.0:5178;
# inside a container loopback cannot be reached even from its own host, so publish the port on the host's
# loopback only: docker run -p 127.0.0.1:5178:5178, and reach it through an SSH tunnel). The access token is
# read from the file $INFERSCOPE_TOKEN_FILE (a Docker or Kubernetes secret) or taken from $INFERSCOPE_TOKEN;
# with neither, `inferscope serve` makes a random one and prints it in the log.
#
# Any other command runs as it is: `bench MODEL …` is `inferscope bench MODEL …` (the Kubernetes Job).
set -eu

fail() {
  echo "inferscope: $1: $2" >&2
  exit 2
}

if [ "$#" -gt 0 ] && [ "$1" != serve ]; then
  exec inferscope "$@"
fi
if [ "$#" -gt 0 ]; then
  shift
fi

token=
token_file=
if [ -n "${INFERSCOPE_TOKEN_FILE:-}" ] && [ -n "${INFERSCOPE_TOKEN:-}" ]; then
  fail BAD_REQUEST "both INFERSCOPE_TOKEN_FILE and INFERSCOPE_TOKEN are set: give the access token one way only."
elif [ -n "${INFERSCOPE_TOKEN_FILE:-}" ]; then
  if [ ! -f "$INFERSCOPE_TOKEN_FILE" ] || [ ! -r "$INFERSCOPE_TOKEN_FILE" ]; then
    fail BAD_REQUEST "INFERSCOPE_TOKEN_FILE is $INFERSCOPE_TOKEN_FILE, which is not a file this container's user (uid $(id -u)) can read: mount the secret there, readable by that uid."
  fi
  token_file=$INFERSCOPE_TOKEN_FILE
  if [ -z "$(tr -d '\r\n' <"$INFERSCOPE_TOKEN_FILE")" ]; then
    fail BAD_REQUEST "$INFERSCOPE_TOKEN_FILE is empty: put an access token in it (e.g. from openssl rand -hex 16), or unset INFERSCOPE_TOKEN_FILE for a random one."
  fi
elif [ -n "${INFERSCOPE_TOKEN:-}" ]; then
  token=$INFERSCOPE_TOKEN
fi
# The server and its inference workers have no use for the token in their environment.
unset INFERSCOPE_TOKEN

host=${INFERSCOPE_HOST:-0.0.0.0}
port=${INFERSCOPE_PORT:-5178}
case "$host" in
  127.* | localhost | ::1) ;;
  *)
    echo "inferscope: in a container, $host is the container's own network: publish port $port on the host's loopback" \
      "only (docker run -p 127.0.0.1:$port:$port) and reach it through an SSH tunnel, as the warning below says." >&2
    ;;
esac

if [ -n "$token_file" ]; then
  # Read by serve itself: the token stays out of the process list.
  set -- serve --host "$host" --port "$port" --token-file "$token_file" "$@"
elif [ -n "$token" ]; then
  set -- serve --host "$host" --port "$port" --token "$token" "$@"
else
  set -- serve --host "$host" --port "$port" "$@"
fi
exec inferscope "$@"
