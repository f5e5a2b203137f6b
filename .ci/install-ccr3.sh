#!/usr/bin/env bash
# .ci/install-ccr3.sh [DIR]: install the real CCR 3.1.1 (npm @musistudio/claude-code-router@3.1.1)
# into DIR (default .cache/ccr3) for the CCR 3.x tests, and write DIR/bin/ccr3, a launcher that
# runs it with the system node. Run by .ci/run; about 80 s the first time, instant after.
#
# Why not a plain `npm install`: 3.1.1 declares @the-next-ai/ai-gateway and
# @the-next-ai/bot-gateway-sdk, which the registry does not serve (E404). The bundle does not
# need them: it ships dist/main/next-ai-gateway.js and loads the bot SDK inside try/catch. So:
# install only its three real dependencies (better-sqlite3 built from source against the local
# node headers, node-forge, undici), then unpack the package itself. It declares node >= 22 but
# runs on node 20 (start, gateway, /v1/messages, the management RPC).
# Never run 3.x commands other than start/stop/--help outside a temp HOME: the others rewrite
# ~/.claude/settings.json.
set -euo pipefail
VERSION="3.1.1"
DIR="$(mkdir -p "${1:-.cache/ccr3}" && cd "${1:-.cache/ccr3}" && pwd)"
cd "$DIR"
PKG="node_modules/@musistudio/claude-code-router"
installed_version() {
  node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { process.exit(1) }' "$DIR/$PKG/package.json"
}
if [ "$(installed_version 2>/dev/null)" = "$VERSION" ] && [ -x bin/ccr3 ] \
   && node -e 'require(process.argv[1])' "$DIR/node_modules/better-sqlite3" 2>/dev/null; then
  echo "    ccr3: CCR $VERSION already installed in $DIR"; exit 0
fi
echo '{"name":"ccr3-harness","private":true}' > package.json
NODEDIR_ARGS=()
[ -f /usr/include/node/node.h ] && NODEDIR_ARGS=(--nodedir=/usr)
npm install --no-audit --no-fund --loglevel=error --build-from-source "${NODEDIR_ARGS[@]}" \
  better-sqlite3@^12.11.1 node-forge@^1.4.0 undici@^7.29.0
TGZ="$(npm pack --silent "@musistudio/claude-code-router@$VERSION" | tail -1)"
rm -rf "$PKG" package && tar xzf "$TGZ" && mkdir -p "$(dirname "$PKG")" && mv package "$PKG" && rm -f "$TGZ"
mkdir -p bin
cat > bin/ccr3 <<LAUNCH
#!/usr/bin/env bash
exec node "$DIR/$PKG/dist/main/cli.js" "\$@"
LAUNCH
chmod +x bin/ccr3
[ "$(installed_version)" = "$VERSION" ] || { echo "ccr3: CCR $VERSION did not install into $DIR" >&2; exit 1; }
echo "    ccr3: installed CCR $VERSION in $DIR"
