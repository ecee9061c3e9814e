# Shared by the breakers: find the operation and the bundle, edit config.json with python3.
# Each breaker is a runtime wrapper that breaks exactly one behaviour of the real runtime
# ($OCICHECK_REAL_RUNTIME, default runc), to prove that the cases naming it can fail.
real="${OCICHECK_REAL_RUNTIME:-runc}"
op=""
bundle=""
prev=""
for a in "$@"; do
    if [ "$prev" = "--bundle" ] || [ "$prev" = "-b" ]; then bundle="$a"; fi
    if [ -z "$op" ]; then
        case "$a" in create|start|state|kill|delete|run|features) op="$a" ;; esac
    fi
    prev="$a"
done
edit_config() {
    # $1: python statements acting on the dict `c`.
    [ "$op" = "create" ] && [ -n "$bundle" ] || return 0
    python3 - "$bundle/config.json" "$1" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(code)
json.dump(c, open(path, "w"))
PY
}
