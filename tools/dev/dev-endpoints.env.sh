# Sourced by run-all.sh (`npm start`): which endpoint URLs the dev stack accepts. One place for
# both sides, so control-api (save time, ENDPOINT_*) and delivery (send time, DELIVERY_*) agree:
# a developer can point an endpoint at a receiver on their own machine (loopback, http, any port),
# and nothing else internal. Any variable already set wins; the ENDPOINT_* ones follow DELIVERY_*.
export DELIVERY_ALLOWED_CIDRS="${DELIVERY_ALLOWED_CIDRS:-127.0.0.1/32,::1/128}"
export DELIVERY_ALLOW_HTTP="${DELIVERY_ALLOW_HTTP:-true}"
export DELIVERY_ALLOWED_PORTS="${DELIVERY_ALLOWED_PORTS:-any}"
export ENDPOINT_ALLOWED_CIDRS="${ENDPOINT_ALLOWED_CIDRS:-$DELIVERY_ALLOWED_CIDRS}"
export ENDPOINT_ALLOW_HTTP="${ENDPOINT_ALLOW_HTTP:-$DELIVERY_ALLOW_HTTP}"
export ENDPOINT_ALLOWED_PORTS="${ENDPOINT_ALLOWED_PORTS:-$DELIVERY_ALLOWED_PORTS}"
